import GANTensor
import XCTest
@testable import GANImage

final class GridTests: XCTestCase {
    func testGrayLayoutPaddingAndScale() {
        // Three 2×2 gray samples, each a distinct constant, two per row, padding 1, scale 2.
        let values: [Float] = [-1, -1, -1, -1, 1, 1, 1, 1, 0, 0, 0, 0]
        let grid = makeGrid(Tensor(shape: [3, 1, 2, 2], values: values), columns: 2, padding: 1, scale: 2,
                            padValue: 77)
        XCTAssertEqual(grid.width, 2 * (4 + 1) + 1)
        XCTAssertEqual(grid.height, 2 * (4 + 1) + 1)
        XCTAssertEqual(grid[0, 0], RGB(gray: 77), "outer padding")
        XCTAssertEqual(grid[5, 3], RGB(gray: 77), "padding between columns")
        XCTAssertEqual(grid[1, 1], RGB(gray: 0), "sample 0 (-1) top-left")
        XCTAssertEqual(grid[4, 4], RGB(gray: 0), "sample 0 bottom-right")
        XCTAssertEqual(grid[6, 1], RGB(gray: 255), "sample 1 (+1) in column 1")
        XCTAssertEqual(grid[9, 4], RGB(gray: 255))
        XCTAssertEqual(grid[1, 6], RGB(gray: 128), "sample 2 (0) starts row 1")
        XCTAssertEqual(grid[6, 6], RGB(gray: 77), "empty last cell keeps the pad value")
    }

    func testNearestNeighbourScalingKeepsPixelOrder() {
        // One 2×3 image with distinct values: pixel (x, y) must land in block (x, y).
        let values: [Float] = [-1, -0.5, 0, 0.5, 1, 0.25]   // rows: [-1, -0.5, 0], [0.5, 1, 0.25]
        let grid = makeGrid(Tensor(shape: [1, 1, 2, 3], values: values), columns: 8, padding: 0, scale: 3)
        XCTAssertEqual(grid.width, 9)
        XCTAssertEqual(grid.height, 6)
        for y in 0..<6 {
            for x in 0..<9 {
                let expected = byteFromUnit(values[(y / 3) * 3 + x / 3])
                XCTAssertEqual(grid[x, y], RGB(gray: expected), "pixel (\(x), \(y))")
            }
        }
    }

    func testRGBChannelsClampingAndNaN() {
        // One 1×2 RGB image: channel planes [R R][G G][B B].
        let values: [Float] = [1, 5, -1, .nan, -3, 0.5]
        let grid = makeGrid(Tensor(shape: [1, 3, 1, 2], values: values), columns: 1, padding: 0)
        XCTAssertEqual(grid[0, 0], RGB(255, 0, 0))
        XCTAssertEqual(grid[1, 0], RGB(255, 0, 191), "5 clamps to 255, NaN to 0, 0.5 to 191")
    }

    func testByteMappingMatchesTorchvision() {
        // torchvision: (x + 1) / 2 * 255 + 0.5, clamped, truncated.
        XCTAssertEqual(byteFromUnit(-1), 0)
        XCTAssertEqual(byteFromUnit(0), 128)
        XCTAssertEqual(byteFromUnit(1), 255)
        XCTAssertEqual(byteFromUnit(-0.999), 0)
        XCTAssertEqual(byteFromUnit(-0.99), 1)
    }
}
