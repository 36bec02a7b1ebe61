import Foundation
import Testing
import Hone
import HoneTestSupport

private let networks = repositoryRoot.appendingPathComponent("Networks")

private func loadShipped(_ name: String) throws -> Network {
    try Network.load(path: networks.appendingPathComponent("\(name).network").path)
}

/// Parses `text` as a network file in the Networks folder (so kernel names resolve to Kernels/).
private func parse(_ text: String) throws -> Network {
    try parseNetwork(text, file: networks.appendingPathComponent("test.network").path)
}

/// The error parsing `text` throws, as `line:column: message`.
private func failure(_ text: String) -> String {
    do {
        _ = try parse(text)
        return "no error"
    } catch let error as HoneError {
        return error.location.map { "\($0.line):\($0.column): " } .map { $0 + error.message } ?? error.message
    } catch {
        return "\(error)"
    }
}

@Suite struct NetworkFileTests {
    @Test func resnet18HasItsEighteenWeightedLayers() throws {
        let network = try loadShipped("resnet18")
        #expect(network.name == "resnet18")
        #expect(network.tasks.count == 22)
        // 17 convolutions and the classifier; the three 1x1 shortcuts are not counted among the 18.
        let convs = network.tasks.filter { $0.kernel.name.hasPrefix("conv2d") && !$0.label.hasSuffix("shortcut") }
        #expect(convs.reduce(0) { $0 + $1.count } == 17)
        #expect(network.tasks.filter { $0.kernel.name == "gemm" }.map(\.count) == [1])
        // About 1.8 G multiply-adds (He et al., Table 1).
        #expect((3.2e9...4.0e9).contains(network.flops), "\(network.flops)")
        let stem = try #require(network.tasks.first)
        #expect(stem.kernel.output.shape == [1, 64, 112, 112])
        #expect(network.tasks.last?.kernel.output.shape == [1, 1000])
    }

    @Test func mobilenetV2HasSeventeenBottlenecks() throws {
        let network = try loadShipped("mobilenet_v2")
        let depthwise = network.tasks.filter { $0.kernel.name == "depthwise_conv2d" }
        #expect(depthwise.reduce(0) { $0 + $1.count } == 17)
        let pointwise = network.tasks.filter { $0.kernel.name == "conv2d_1x1" }
        // 16 expansions, 17 projections and the 1x1 head.
        #expect(pointwise.reduce(0) { $0 + $1.count } == 34)
        // About 300 M multiply-adds (Sandler et al., Table 4).
        #expect((0.55e9...0.7e9).contains(network.flops), "\(network.flops)")
    }

    @Test func bertLayerAtSequence128() throws {
        let network = try loadShipped("bert_base_layer")
        let scores = try #require(network.tasks.first { $0.kernel.name == "transpose_batch_matmul" })
        #expect(scores.kernel.output.shape == [1, 12, 128, 128])
        #expect(network.tasks.first { $0.kernel.name == "layernorm" }?.count == 2)
        #expect((1.8e9...2.0e9).contains(network.flops), "\(network.flops)")
    }

    @Test func everyShippedNetworkParses() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: networks.path).filter { $0.hasSuffix(".network") }
        #expect(files.count >= 4)
        for file in files {
            let network = try Network.load(path: networks.appendingPathComponent(file).path)
            #expect(network.name + ".network" == file)
            #expect(!network.summary.isEmpty, "\(file) should open with a comment saying what network it is")
        }
    }

    @Test func syntax() throws {
        let network = try parse("""
            # a comment
            network small
            a: gemm M=4 N=5 K=6 x 3   # three of them
            b: softmax M=7 N=9 x2
            c: ../Kernels/layernorm.hone M=2 N=8
            """)
        #expect(network.name == "small")
        #expect(network.tasks.map(\.label) == ["a", "b", "c"])
        #expect(network.tasks.map(\.count) == [3, 2, 1])
        #expect(network.tasks[0].kernel.parameters.map(\.value) == [4, 5, 6])
        #expect(network.tasks[1].symbol(in: network.name) == "small_b")
    }

    @Test func errorsAreLocated() {
        #expect(failure("a: nosuchkernel M=1 x 1").hasPrefix("1:4: no kernel file"))
        #expect(failure("\na: gemm M=4 Q=2 x 1").hasPrefix("2:13: gemm has no parameter Q"))
        #expect(failure("a: gemm M=4 x 0") == "1:15: the count of a must be at least 1, got 0")
        #expect(failure("a: gemm M=4 x0").hasPrefix("1:14: the count of a must be at least 1"))
        #expect(failure("a: gemm M=4 x") == "1:13: expected a count after x")
        #expect(failure("a: gemm M=4\nb: gemm M=4").hasPrefix("2:1: b has the same kernel and parameters as line 1"))
        #expect(failure("a: gemm M=4\na: gemm M=5").hasPrefix("2:1: the label a is already used on line 1"))
        #expect(failure("gemm M=4").hasPrefix("1:1: expected `LABEL: KERNEL"))
        #expect(failure("a: gemm M=four").hasPrefix("1:9: expected NAME=VALUE"))
        #expect(failure("# only a comment").contains("the network has no task"))
    }

    @Test func sharesCoverEveryTaskOnceAndBalanceTheCost() throws {
        let network = try loadShipped("resnet18")
        let costs = network.tasks.map(\.expectedCost)
        for n in 1...5 {
            let shares = balancedShares(costs: costs, count: n)
            #expect(shares.count == n)
            #expect(shares.flatMap { $0 }.sorted() == Array(network.tasks.indices))
            let loads = shares.map { $0.reduce(0.0) { $0 + costs[$1] } }
            // LPT: no share exceeds the ideal by more than the largest task.
            #expect(loads.max()! <= costs.reduce(0, +) / Double(n) + costs.max()!)
        }
        #expect(balancedShares(costs: [1, 2], count: 4).map(\.count) == [1, 1, 0, 0])
    }
}
