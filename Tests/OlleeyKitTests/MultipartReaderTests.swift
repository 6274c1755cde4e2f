import Foundation
import Testing
import OlleeyKit
import OlleeyTestSupport

/// `MultipartReader`: multipart/form-data read from a file in 64 KiB reads.
@Suite struct MultipartReaderTests {
    func body(_ parts: [(String, String?, [UInt8])], boundary: String = "b0und") -> [UInt8] {
        var b: [UInt8] = Array("preamble to ignore\r\n".utf8)
        for (name, file, data) in parts {
            var h = "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\""
            if let f = file { h += "; filename=\"\(f)\"\r\nContent-Type: application/octet-stream" }
            b += Array((h + "\r\n\r\n").utf8) + data + Array("\r\n".utf8)
        }
        return b + Array("--\(boundary)--\r\nepilogue".utf8)
    }

    @Test("fields in memory, a file part copied byte for byte, also when a delimiter straddles two reads")
    func parts() throws {
        let dir = TempDir()
        // a file part whose bytes contain CR LF and dashes, sized so the delimiter crosses 64 KiB reads
        for size in [0, 1, 65_536 - 60, 65_536 - 20, 65_536, 200_000] {
            var data = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            if size > 10 { data.replaceSubrange(0..<8, with: Array("\r\n--b0un".utf8)) }
            let input = dir.path + "/in-\(size)"
            try Data(body([("title", nil, Array("My \"talk\"".utf8)), ("video_file", "a b.mp4", data), ("n", nil, [])])).write(to: URL(fileURLWithPath: input))
            let got = try MultipartReader.read(file: input, boundary: "b0und", directory: dir.path)
            #expect(got.map(\.name) == ["title", "video_file", "n"])
            #expect(got[0].text == "My \"talk\"" && got[0].path == nil)
            #expect(got[1].filename == "a b.mp4" && got[1].contentType == "application/octet-stream" && got[1].size == size)
            let path = try #require(got[1].path)
            #expect(Array(try Data(contentsOf: URL(fileURLWithPath: path))) == data)
            #expect(got[2].text == "")
            unlink(path)
        }
    }

    @Test("a body cut inside a file part is invalid and leaves no file; a field over the limit is invalid")
    func malformed() throws {
        let dir = TempDir()
        let input = dir.path + "/cut"
        let whole = body([("video_file", "v.mp4", Array(repeating: 7, count: 100_000))])
        try Data(whole.prefix(90_000)).write(to: URL(fileURLWithPath: input))
        #expect(throws: OlleeyError.self) { try MultipartReader.read(file: input, boundary: "b0und", directory: dir.path) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".upload-") }.isEmpty)
        try Data(body([("title", nil, Array(repeating: 65, count: 70_000))])).write(to: URL(fileURLWithPath: input))
        #expect(throws: OlleeyError.self) { try MultipartReader.read(file: input, boundary: "b0und", directory: dir.path) }
        try Data("no parts at all".utf8).write(to: URL(fileURLWithPath: input))
        #expect(throws: OlleeyError.self) { try MultipartReader.read(file: input, boundary: "b0und", directory: dir.path) }
    }

    @Test("the boundary of a Content-Type")
    func boundary() {
        #expect(MultipartReader.boundary("multipart/form-data; boundary=abc") == "abc")
        #expect(MultipartReader.boundary("Multipart/Form-Data; charset=utf-8; boundary=\"a b\"") == "a b")
        #expect(MultipartReader.boundary("application/json") == nil)
        #expect(MultipartReader.boundary("multipart/form-data") == nil)
    }

    @Test("TrackText: paragraphs of a track and of a person's text")
    func trackText() {
        let vtt = "WEBVTT\n\n00:00.000 --> 00:01.000\nOne <i>line</i>\nand two\n\n00:01.000 --> 00:02.000\nThree\n"
        #expect(TrackText.paragraphs(vtt) == "One <i>line</i>\nand two\n\nThree")
        #expect(TrackText.split("\r\n\r\nOne\r\nand two\r\n\r\n\r\nThree\n\n") == ["One\nand two", "Three"])
    }
}
