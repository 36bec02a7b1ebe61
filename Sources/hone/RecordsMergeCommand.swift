import ArgumentParser
import Foundation
import Hone

struct RecordsMergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Join records files into one (e.g. the shards of hone tune-network --shard).",
        discussion: """
            Every line is read and checked; a torn or corrupt line is reported and skipped, a line \
            identical to one already kept is dropped, and every other line is kept as written. The \
            output is ordered by timestamp, so merging is order-independent and idempotent; it is \
            written to a temporary file and renamed, so an input may also be the output.
            Records of different targets stay apart: the target is in every record.
            Example: hone records merge tuned/resnet18/*.shard-*.jsonl -o tuned/resnet18/resnet18.jsonl
            """)

    @Argument(help: "The records files to join.")
    var files: [String]

    @Option(name: .shortAndLong, help: ArgumentHelp("The merged records file.", valueName: "file"))
    var output: String

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("give at least one records file") }
    }

    func run() throws {
        try reportingErrors {
            let merge = try RecordsMerge.merge(paths: files)
            printWarnings(merge.warnings)
            try merge.write(to: output)
            let read = merge.inputs.map { "\($0.path) \($0.valid)" }.joined(separator: ", ")
            print("wrote \(output): \(merge.lines.count) records (read \(read); \(merge.duplicates) duplicate\(merge.duplicates == 1 ? "" : "s") dropped, "
                  + "\(merge.warnings.count) bad line\(merge.warnings.count == 1 ? "" : "s") skipped)")
        }
    }
}

/// `hone records`: lists a records file (the default, `hone records FILE`) or merges several.
struct RecordsGroupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "records",
        abstract: "List the measurements in a records file, or merge records files.",
        subcommands: [RecordsCommand.self, RecordsMergeCommand.self],
        defaultSubcommand: RecordsCommand.self)
}
