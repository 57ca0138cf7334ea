import CZeroMQ
import Foundation

/// ZeroMQ CURVE keys: Curve25519 keys as 40 characters of Z85 text.
///
/// Key pair file format (written by `write(to:)`, mode 0600):
/// ```
/// # SwiftGAN CURVE key pair (Z85). Keep this file secret.
/// public-key: <40 characters>
/// secret-key: <40 characters>
/// ```
/// A public key file has only the `public-key:` line; give it to the other side.
public struct CurveKeyPair: Equatable, Sendable {
    /// Z85 text, 40 characters.
    public let publicKey: String
    /// Z85 text, 40 characters. Never log it.
    public let secretKey: String

    /// Whether this libzmq was built with CURVE.
    static var isSupported: Bool { zmq_has("curve") != 0 }

    /// A fresh key pair from libzmq's generator.
    public static func generate() throws -> CurveKeyPair {
        var pub = [CChar](repeating: 0, count: 41)
        var sec = [CChar](repeating: 0, count: 41)
        guard zmq_curve_keypair(&pub, &sec) == 0 else {
            throw TransportError.invalidKey("zmq_curve_keypair failed (libzmq without CURVE?): \(zmqError("zmq_curve_keypair"))")
        }
        return CurveKeyPair(validatedPublic: String(cString: pub), secret: String(cString: sec))
    }

    /// The pair belonging to a secret key (the public key is derived from it).
    public init(secretKey: String) throws {
        try CurveKeyPair.validate(secretKey, what: "secret key")
        var pub = [CChar](repeating: 0, count: 41)
        guard zmq_curve_public(&pub, secretKey) == 0 else {
            throw TransportError.invalidKey("cannot derive the public key: \(zmqError("zmq_curve_public"))")
        }
        self.init(validatedPublic: String(cString: pub), secret: secretKey)
    }

    private init(validatedPublic: String, secret: String) {
        publicKey = validatedPublic
        secretKey = secret
    }

    /// Throws unless `key` is 40 characters of Z85 that decode to 32 bytes.
    public static func validate(_ key: String, what: String = "key") throws {
        guard key.utf8.count == 40 else { throw TransportError.invalidKey("\(what) has \(key.utf8.count) characters, need 40 (Z85)") }
        var bytes = [UInt8](repeating: 0, count: 32)
        guard zmq_z85_decode(&bytes, key) != nil else { throw TransportError.invalidKey("\(what) is not valid Z85") }
    }

    /// The key pair file's text.
    var fileContents: String {
        "# SwiftGAN CURVE key pair (Z85). Keep this file secret.\npublic-key: \(publicKey)\nsecret-key: \(secretKey)\n"
    }

    /// The public key file's text.
    var publicFileContents: String {
        "# SwiftGAN CURVE public key (Z85).\npublic-key: \(publicKey)\n"
    }

    /// Writes the key pair file with mode 0600; refuses to replace an existing file unless asked.
    public func write(to path: String, overwrite: Bool = false) throws {
        try CurveKeyPair.writeFile(fileContents, to: path, mode: 0o600, overwrite: overwrite)
    }

    /// Writes the public key file (mode 0644).
    public func writePublicKey(to path: String, overwrite: Bool = false) throws {
        try CurveKeyPair.writeFile(publicFileContents, to: path, mode: 0o644, overwrite: overwrite)
    }

    /// Reads a key pair file; checks that the public key belongs to the secret key.
    public static func load(from path: String) throws -> CurveKeyPair {
        let fields = try readFields(path)
        guard let secret = fields["secret-key"] else { throw TransportError.keyFile(path: path, reason: "no secret-key line") }
        let pair: CurveKeyPair
        do { pair = try CurveKeyPair(secretKey: secret) } catch {
            throw TransportError.keyFile(path: path, reason: "\(error)")
        }
        if let pub = fields["public-key"], pub != pair.publicKey {
            throw TransportError.keyFile(path: path, reason: "public-key does not belong to secret-key")
        }
        return pair
    }

    /// Reads the public key from a public key file or a key pair file.
    public static func loadPublicKey(from path: String) throws -> String {
        let fields = try readFields(path)
        guard let pub = fields["public-key"] else { throw TransportError.keyFile(path: path, reason: "no public-key line") }
        do { try validate(pub, what: "public key") } catch { throw TransportError.keyFile(path: path, reason: "\(error)") }
        return pub
    }

    /// `label: value` lines; lines starting with "#" are comments.
    private static func readFields(_ path: String) throws -> [String: String] {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw TransportError.keyFile(path: path, reason: "cannot read: \(error.localizedDescription)")
        }
        var fields: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            guard let colon = trimmed.firstIndex(of: ":") else {
                throw TransportError.keyFile(path: path, reason: "line without 'label:': \(trimmed.prefix(12))...")
            }
            let label = trimmed[..<colon].trimmingCharacters(in: .whitespaces)
            let value = trimmed[trimmed.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            fields[label] = value
        }
        return fields
    }

    private static func writeFile(_ text: String, to path: String, mode: Int, overwrite: Bool) throws {
        let fm = FileManager.default
        if fm.fileExists(atPath: path) {
            guard overwrite else { throw TransportError.keyFile(path: path, reason: "exists; not overwriting") }
            try? fm.removeItem(atPath: path)
        }
        // Created with its final mode, so a secret never sits in a world-readable file.
        guard fm.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: mode]) else {
            throw TransportError.keyFile(path: path, reason: "cannot create")
        }
    }
}

/// The public keys of the workers a coordinator admits.
///
/// File format: one Z85 public key per line; anything after the key (separated by whitespace)
/// is a label or comment; empty lines and lines starting with "#" are comments. ("#" is the
/// largest Z85 digit, so the text of a 32-byte key can never start with it.)
/// ```
/// # workers of run 42
/// rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7  gpu-node-1
/// ```
/// A line may also be a `.pub` file's own `public-key: KEY` line, so that concatenating the
/// workers' `.pub` files makes a valid allowed-keys file.
public struct AllowedKeys: Equatable, Sendable {
    public private(set) var keys: Set<String>

    public init(_ keys: some Sequence<String>) throws {
        var set = Set<String>()
        for k in keys {
            try CurveKeyPair.validate(k, what: "allowed key")
            set.insert(k)
        }
        self.keys = set
    }

    /// Parses the file format above; errors name the line.
    public init(parsing text: String, source: String = "allowed keys") throws {
        var set = Set<String>()
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let body = trimmed.hasPrefix("public-key:") ? trimmed.dropFirst("public-key:".count).trimmingCharacters(in: .whitespaces) : trimmed
            let key = String(body.prefix { !$0.isWhitespace })
            do { try CurveKeyPair.validate(key, what: "key") } catch {
                throw TransportError.keyFile(path: source, reason: "line \(number + 1): \(error)")
            }
            set.insert(key)
        }
        keys = set
    }

    /// Reads an allowed-keys file.
    public static func load(from path: String) throws -> AllowedKeys {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw TransportError.keyFile(path: path, reason: "cannot read: \(error.localizedDescription)")
        }
        return try AllowedKeys(parsing: text, source: path)
    }

    public func contains(_ key: String) -> Bool { keys.contains(key) }
}

/// Coordinator-side CURVE: the server's key pair and the workers it admits.
public struct CurveServerConfig: Sendable {
    public var keyPair: CurveKeyPair
    public var allowedKeys: AllowedKeys

    public init(keyPair: CurveKeyPair, allowedKeys: AllowedKeys) {
        self.keyPair = keyPair
        self.allowedKeys = allowedKeys
    }
}

/// Worker-side CURVE: the worker's own key pair and the coordinator's public key.
public struct CurveClientConfig: Sendable {
    public var keyPair: CurveKeyPair
    public var serverPublicKey: String

    public init(keyPair: CurveKeyPair, serverPublicKey: String) throws {
        try CurveKeyPair.validate(serverPublicKey, what: "server public key")
        self.keyPair = keyPair
        self.serverPublicKey = serverPublicKey
    }
}
