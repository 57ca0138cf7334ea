/// Why something cannot go on, in one sentence a user can act on: what is wrong and how to fix
/// it, naming the flag or file. The one plain error type of every target (formats with their own
/// fields, such as `CheckpointError` and `EvalError`, keep theirs).
public struct GANError: Error, CustomStringConvertible, Equatable, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
