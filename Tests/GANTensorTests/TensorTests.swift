import XCTest
@testable import GANTensor

final class TensorTests: XCTestCase {
    func testViewsShareStorage() {
        let t = Tensor(shape: [3, 2, 2], values: (0..<12).map(Float.init))
        XCTAssertEqual(t.count, 12)
        let r = t.rows(1, 2)
        XCTAssertEqual(r.shape, [2, 2, 2])
        XCTAssertEqual(r.array, (4..<12).map(Float.init))
        r[0] = -1
        XCTAssertEqual(t[4], -1, "a row view writes through to its owner")
        let flat = t.reshaped([12])
        flat[11] = 99
        XCTAssertEqual(t[11], 99)
        XCTAssertEqual(t.reshaped([4, 3]).rows(3, 1).array, [9, 10, 99])
    }

    func testViewsKeepTheirStorageAlive() {
        var view: Tensor?
        do {
            let owner = Tensor(shape: [4], values: [1, 2, 3, 4])
            view = owner.rows(2, 2)
        }
        XCTAssertEqual(view!.array, [3, 4])
    }

    func testFillZeroCopy() {
        let a = Tensor(shape: [2, 3])
        XCTAssertEqual(a.array, [0, 0, 0, 0, 0, 0], "new tensors are zero-filled")
        a.fill(2.5)
        XCTAssertTrue(a.array.allSatisfy { $0 == 2.5 })
        let b = Tensor(shape: [6], values: [1, 2, 3, 4, 5, 6])
        a.copy(from: b)
        XCTAssertEqual(a.array, b.array)
        a.zero()
        XCTAssertEqual(a.array, [0, 0, 0, 0, 0, 0])
        XCTAssertEqual(Tensor(shape: [0, 3]).count, 0)
    }
}
