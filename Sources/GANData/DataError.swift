/// Why a data set could not be loaded: which file, what is wrong with it, and how to fix it.
///
/// Every loader in GANData reports bad input through this type instead of trapping, because the
/// files come from outside the program (downloads, user folders) and a training run should stop
/// with a message a person can act on, not with a crash.
public struct DataError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The broad class of problem, for callers (and tests) that branch on it.
    public enum Kind: String, Sendable {
        /// The file or folder does not exist or cannot be opened.
        case missing
        /// The file ends before the data its header promises (an interrupted download).
        case truncated
        /// The file is readable but its contents are not what the format requires.
        case malformed
        /// The contents are valid but use a variant this loader does not read.
        case unsupported
        /// Nothing usable was found (an empty folder, every image failing to decode).
        case empty
        /// The caller asked for something impossible (an unknown data set name, a bad size).
        case invalidArgument
    }

    public let kind: Kind
    /// The file or folder at fault, when there is one.
    public let file: String?
    /// What is wrong, as a sentence fragment.
    public let problem: String
    /// What the user can do about it.
    public let fix: String

    public init(_ kind: Kind, file: String?, _ problem: String, fix: String) {
        self.kind = kind
        self.file = file
        self.problem = problem
        self.fix = fix
    }

    public var description: String {
        let head = file.map { "\($0): " } ?? ""
        return "\(head)\(problem). \(fix)"
    }
}
