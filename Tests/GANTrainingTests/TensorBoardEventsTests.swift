import Foundation
import XCTest
@testable import GANTraining
import GANCheckpoint
import GANTestSupport

/// The hand-written TensorBoard encoder: CRC-32C and its TFRecord mask, the Event bytes against
/// Python protobuf's bytes for the same messages, the record reader, the resume trim, the tags.
final class TensorBoardEventsTests: XCTestCase {
    var tempDir: String!

    override func setUpWithError() throws {
        tempDir = NSTemporaryDirectory() + "tb-events-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: tempDir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let d = tempDir { try? FileManager.default.removeItem(atPath: d) }
    }

    static func hex(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        var i = s.startIndex
        while i < s.endIndex {
            let j = s.index(i, offsetBy: 2)
            out.append(UInt8(s[i..<j], radix: 16)!)
            i = j
        }
        return out
    }

    // Reference bytes printed by scripts/make_tensorboard_fixture.py: TensorBoard's compiled
    // event_pb2/summary_pb2 serialized by Python's protobuf 7.36.2, framed by TensorBoard 2.21's
    // RecordWriter. The messages there and below must stay the same.
    static let versionEventHex = "0900001040fc54d9411a0d627261696e2e4576656e743a32"
    static let summaryEventHex = "0900006040fc54d94110ac022a6c0a0d0a066c6f73732f64151872313f0a0e0a07776f726b65727315000040c00a270a0f73616d706c65732f66697865645f7a2214081e10f2011803220b89504e470d0a1a0a0102030a220a06636f6e666967420c08074208232063666720c3a94a0a0a060a04746578742002"
    static let framedFileHex = "1800000000000000a37f4b220900001040fc54d9411a0d627261696e2e4576656e743a32338d2fe97a00000000000000138986780900006040fc54d94110ac022a6c0a0d0a066c6f73732f64151872313f0a0e0a07776f726b65727315000040c00a270a0f73616d706c65732f66697865645f7a2214081e10f2011803220b89504e470d0a1a0a0102030a220a06636f6e666967420c08074208232063666720c3a94a0a0a060a04746578742002f1dc5d3b"

    static let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3]
    static let versionEvent = TensorBoardEvent(wallTime: 1_700_000_000.25, step: 0, fileVersion: "brain.Event:2")
    static let summaryEvent = TensorBoardEvent(wallTime: 1_700_000_001.5, step: 300, values: [
        .scalar(tag: "loss/d", value: 0.6931472),
        .scalar(tag: "workers", value: -3),
        .image(tag: "samples/fixed_z", height: 30, width: 242, colorspace: 3, encoded: png),
        .text(tag: "config", markdown: "# cfg é"),
    ])

    func testCRC32CKnownVectors() {
        // The CRC-32C check value, and the iSCSI test vectors of RFC 3720 B.4.
        XCTAssertEqual(CRC32C.checksum(Array("123456789".utf8)), 0xE306_9283)
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0, count: 32)), 0x8A91_36AA)
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)), 0x62A8_AB43)
        XCTAssertEqual(CRC32C.checksum((0..<32).map { UInt8($0) }), 0x46DD_794E)
        XCTAssertEqual(CRC32C.checksum([]), 0)
    }

    func testMaskedCRCMatchesTheTFRecordDefinition() {
        // masked = rotate right by 15, plus 0xA282EAD8; for "123456789": 0xE3069283 rotated is
        // 0x2507C60D, plus the delta 0xC78AB0E5.
        XCTAssertEqual(TFRecord.maskedCRC(Array("123456789".utf8)), 0xC78A_B0E5)
        // The length header of TensorBoard's first record (24 bytes) as its writer stores it.
        XCTAssertEqual(TFRecord.maskedCRC(TFRecord.littleEndian(UInt64(24))), 0x224B_7FA3)
    }

    func testEventBytesEqualPythonProtobufs() {
        XCTAssertEqual(Self.versionEvent.encoded(), Self.hex(Self.versionEventHex))
        XCTAssertEqual(Self.summaryEvent.encoded(), Self.hex(Self.summaryEventHex))
        let file = TFRecord.frame(Self.versionEvent.encoded()) + TFRecord.frame(Self.summaryEvent.encoded())
        XCTAssertEqual(file, Self.hex(Self.framedFileHex))
    }

    func testVarintsOfLargeAndNegativeNumbers() {
        var w = ProtoWriter()
        w.int(2, 1 << 40)
        w.int(2, -1)
        // 1<<40 takes six 7-bit groups; -1 is ten bytes (all ones as uint64), as protobuf writes int64.
        XCTAssertEqual(w.bytes, [0x10, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20,
                                 0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])
        let fields = ProtoReader.fields(w.bytes[...])
        XCTAssertEqual(fields?.count, 2)
        if case .varint(let v)? = fields?.first?.value { XCTAssertEqual(v, 1 << 40) } else { XCTFail("not a varint") }
    }

    func testRecordReaderStopsAtADamagedTail() {
        let a = TFRecord.frame(Self.versionEvent.encoded()), b = TFRecord.frame(Self.summaryEvent.encoded())
        let whole = TFRecord.records(in: a + b)
        XCTAssertTrue(whole.complete)
        XCTAssertEqual(whole.records, [Self.versionEvent.encoded(), Self.summaryEvent.encoded()])
        let cut = TFRecord.records(in: a + b.dropLast(5))
        XCTAssertFalse(cut.complete)
        XCTAssertEqual(cut.records, [Self.versionEvent.encoded()])
        var flipped = a + b
        flipped[a.count + 20] ^= 0x01
        XCTAssertEqual(TFRecord.records(in: flipped).records.count, 1, "a flipped data byte fails the data CRC")
        let info = TensorBoardEvent.stepAndTags(Self.summaryEvent.encoded())
        XCTAssertEqual(info?.step, 300)
        XCTAssertEqual(info?.tags, ["loss/d", "workers", "samples/fixed_z", "config"])
    }

    func testTrimKeepsStepsUpToTheResumeStepAndReportsItsTags() throws {
        var bytes = TFRecord.frame(Self.versionEvent.encoded())
        for s in stride(from: 10, through: 50, by: 10) {
            bytes += TFRecord.frame(TensorBoardEvent(wallTime: 1, step: Int64(s), values: [.scalar(tag: "loss/g", value: Float(s))]).encoded())
        }
        bytes += TFRecord.frame(TensorBoardEvent(wallTime: 1, step: 20, values: [.scalar(tag: "checkpoint/bytes", value: 9)]).encoded())
        let name = "events.out.tfevents.1.host.1.swiftgan", untouched = "events.out.tfevents.0.host.1.swiftgan"
        let small = TFRecord.frame(Self.versionEvent.encoded())
        try Data(bytes.dropLast(3)).write(to: URL(fileURLWithPath: tempDir + "/" + name))
        try Data(small).write(to: URL(fileURLWithPath: tempDir + "/" + untouched))
        let files = try TensorBoardObserver.eventFiles(in: tempDir)
        XCTAssertEqual(files, [untouched, name])
        let tags = try TensorBoardObserver.trim(files, in: tempDir, keepingUpTo: 20)
        XCTAssertEqual(tags, ["loss/g"], "the damaged last record (step 20, checkpoint/bytes) is dropped with the tail")
        let kept = TFRecord.records(in: [UInt8](try Data(contentsOf: URL(fileURLWithPath: tempDir + "/" + name))))
        XCTAssertTrue(kept.complete)
        XCTAssertEqual(kept.records.compactMap { TensorBoardEvent.stepAndTags($0)?.step }, [0, 10, 20])
        XCTAssertEqual([UInt8](try Data(contentsOf: URL(fileURLWithPath: tempDir + "/" + untouched))), small)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tempDir).sorted(), [untouched, name],
                       "no temporary file is left")
    }

    /// An event after the run's finish (the checkpoint `saveAfterFailure` writes) goes to the same
    /// file: it must not reopen the folder, which would move this session's own file aside.
    func testEventsAfterTheFinishGoToTheSameFile() throws {
        let (trainer, executor) = try quietTrainer(TestConfigs.vector("gaussian1d", steps: 3, seed: 2))
        let folder = tempDir + "/tensorboard"
        let tb = TensorBoardObserver(directory: folder, configMarkdown: "cfg", resuming: false)
        trainer.observers = [tb]
        try trainer.run(executor: executor)
        try trainer.publish(.checkpoint(step: 3, path: "x", bytes: 1234, seconds: 0.5))
        XCTAssertNil(tb.failure)
        let files = try TensorBoardObserver.eventFiles(in: folder)
        XCTAssertEqual(files.count, 1)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tempDir), ["tensorboard"], "nothing moved aside")
        let records = TFRecord.records(in: [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/" + files[0]))))
        XCTAssertTrue(records.complete)
        let version = try XCTUnwrap(ProtoReader.fields(try XCTUnwrap(records.records.first)[...]))
        XCTAssertTrue(version.contains { if $0.field == 3, case .bytes(let b) = $0.value { return Array(b) == Array("brain.Event:2".utf8) } else { return false } },
                      "the first record is the file-version event")
        // file version, config text, the last step's metrics record, the late checkpoint.
        let tags = records.records.compactMap { TensorBoardEvent.stepAndTags($0)?.tags }
        XCTAssertEqual(tags.count, 4)
        XCTAssertEqual(tags.first, [])
        XCTAssertEqual(tags.dropFirst().first, ["config"])
        XCTAssertTrue(tags.dropFirst(2).first?.contains("loss/g") == true, "\(tags)")
        XCTAssertEqual(tags.last, ["checkpoint/bytes", "checkpoint/seconds"])
    }

    func testNewFileNamesSortAfterExistingOnes() {
        let later = Int(Date().timeIntervalSince1970) + 1000
        let name = TensorBoardObserver.fileName(after: ["events.out.tfevents.\(later).h.9.swiftgan"])
        XCTAssertTrue(name.hasPrefix("events.out.tfevents.\(later + 1)."), name)
        XCTAssertTrue(name.hasSuffix(".\(getpid()).swiftgan"), name)
    }

    func testMetricTags() {
        let expected = ["loss_d": "loss/d", "loss_d_real": "loss/d_real", "loss_g": "loss/g", "d_x": "d/x",
                        "d_g_z1": "d/g_z1", "time_compute_s": "time/compute_s", "bytes_sent": "bytes/sent",
                        "steps_per_s": "steps_per_s", "workers": "workers", "epoch": "epoch", "loss_": "loss_"]
        for (name, tag) in expected { XCTAssertEqual(TensorBoardObserver.tag(forMetric: name), tag, name) }
    }

    func testPNGDimensions() {
        var ihdr: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13] + Array("IHDR".utf8)
        ihdr += [0, 0, 0x01, 0x02, 0, 0, 0, 0x1E, 8, 2, 0, 0, 0]
        let d = pngDimensions(ihdr)
        XCTAssertEqual(d?.width, 258)
        XCTAssertEqual(d?.height, 30)
        XCTAssertEqual(d?.channels, 3)
        XCTAssertNil(pngDimensions(Self.png))
    }
}
