import Testing
@testable import Hone

@Test func linksLLVM19() {
    #expect(HoneCodegenVersion.llvmVersion.hasPrefix("19."))
}
