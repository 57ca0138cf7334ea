/// A problem with gan-eval's inputs: what is wrong, with which file, and how to fix it.
public struct EvalError: Error, CustomStringConvertible, Sendable {
    /// The file concerned, when there is one.
    public let file: String?
    public let problem: String
    public let fix: String?

    public init(file: String? = nil, _ problem: String, fix: String? = nil) {
        self.file = file
        self.problem = problem
        self.fix = fix
    }

    public var description: String {
        var s = file.map { "\($0): " } ?? ""
        s += problem
        if let fix { s += ". " + fix }
        return s
    }
}
