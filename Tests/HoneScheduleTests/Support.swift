import Foundation
import Testing
@testable import Hone

/// Every loop in a nest, outermost first.
func allLoops(_ stmt: Stmt) -> [Loop] {
    switch stmt {
    case .loop(let loop): return [loop] + allLoops(loop.body)
    case .store: return []
    case .allocate(_, let body), .letStmt(_, _, let body): return allLoops(body)
    case .ifThenElse(_, let then, let otherwise, _): return allLoops(then) + (otherwise.map(allLoops) ?? [])
    case .block(let stmts): return stmts.flatMap(allLoops)
    }
}

/// Every allocation in a nest, with the loop variables around it.
func allocations(_ stmt: Stmt, inside loops: [String] = []) -> [(buffer: Buffer, loops: [String])] {
    switch stmt {
    case .loop(let loop): return allocations(loop.body, inside: loops + [loop.variable])
    case .store: return []
    case .allocate(let buffer, let body): return [(buffer, loops)] + allocations(body, inside: loops)
    case .letStmt(_, _, let body): return allocations(body, inside: loops)
    case .ifThenElse(_, let then, let otherwise, _): return allocations(then, inside: loops) + (otherwise.map { allocations($0, inside: loops) } ?? [])
    case .block(let stmts): return stmts.flatMap { allocations($0, inside: loops) }
    }
}
