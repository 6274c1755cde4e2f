import Foundation
import Testing
import OlleeyKit
import OlleeyTestSupport

@Suite("FileIO: reading, and streaming atomic writes")
struct FileIOTests {
    func listing(_ dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
    }

    @Test("read returns the exact bytes of files of many sizes, and typed errors")
    func read() throws {
        let t = TempDir()
        for size in [0, 1, 4095, 4096, 1 << 20, (5 << 20) + 17] {
            var bytes = [UInt8](repeating: 0, count: size)
            for i in bytes.indices { bytes[i] = UInt8(truncatingIfNeeded: i &* 31 &+ i >> 9) }
            let p = t.file("f\(size)")
            #expect(FileManager.default.createFile(atPath: p, contents: Data(bytes)))
            #expect(try FileIO.read(p) == bytes, "size \(size)")
        }
        #expect(throws: OlleeyError.self) { try FileIO.read(t.file("missing")) }
        do { _ = try FileIO.read(t.file("missing")) } catch let e as OlleeyError { #expect(e.code == .notFound) }
        do { _ = try FileIO.read(t.path) } catch let e as OlleeyError { #expect(e.code == .invalid) }
    }

    @Test("streamed chunks land in order, the file replaces the old one, no temporary is left")
    func streaming() throws {
        let t = TempDir()
        let p = t.write("out.txt", "old content")
        var expected: [UInt8] = []
        try FileIO.writeAtomically(p) { write in
            for k in 0..<40 {
                let chunk = [UInt8](repeating: UInt8(65 + k % 26), count: 300_000 + k)  // > 4 MiB in all: writeback kicks in
                expected += chunk
                chunk.withUnsafeBytes { write($0) }
            }
        }
        #expect(try FileIO.read(p) == expected)
        #expect(listing(t.path) == ["out.txt"])
        let mode = (try FileManager.default.attributesOfItem(atPath: p)[.posixPermissions] as? NSNumber)?.intValue
        #expect(mode == 0o644)
    }

    @Test("the temporary file names its process, so a stopped run removes it (StageCache.removeTemporaries)")
    func temporaryNamesItsProcess() throws {
        let t = TempDir()
        var seen: [String] = []
        try FileIO.writeAtomically(t.file("out.bin")) { write in
            seen = ((try? FileManager.default.contentsOfDirectory(atPath: t.path)) ?? []).filter { $0.hasPrefix(".olleey-tmp-") }
            [UInt8]("x".utf8).withUnsafeBytes { write($0) }
        }
        #expect(seen.count == 1 && seen[0].hasPrefix(".olleey-tmp-\(getpid())-"), "\(seen)")
        // a run stopped by a second signal leaves such a file; its sweep finds it by the pid
        if let name = seen.first { t.write(name, "left") }
        #expect(StageCache.removeTemporaries(under: t.path, pid: getpid()) == 1)
        #expect(StageCache.removeTemporaries(under: t.path, pid: getpid() + 1) == 0)
    }

    @Test("an error thrown while producing leaves the previous file untouched and no temporary")
    func failureKeepsOldFile() {
        struct Stop: Error {}
        let t = TempDir()
        let p = t.write("out.txt", "old content")
        #expect(throws: Stop.self) {
            try FileIO.writeAtomically(p) { write in
                Array("half of the new".utf8).withUnsafeBytes { write($0) }
                throw Stop()
            }
        }
        #expect(FileManager.default.contents(atPath: p) == Data("old content".utf8))
        #expect(listing(t.path) == ["out.txt"])
    }

    @Test("a directory that does not exist is 'cannot create' (73); nothing is produced")
    func cannotCreate() {
        let t = TempDir()
        var called = false
        do {
            try FileIO.writeAtomically(t.file("no/such/dir/x")) { _ in called = true }
            Issue.record("expected an error")
        } catch let e as OlleeyError {
            #expect(e.code == .cannotCreate)
            #expect(e.code.exitCode == 73)
        } catch {
            Issue.record("unexpected error \(error)")
        }
        #expect(!called)
    }

    @Test("the byte and string forms still write atomically")
    func wholeBuffer() throws {
        let t = TempDir()
        try FileIO.writeAtomically([1, 2, 3], to: t.file("b"))
        #expect(try FileIO.read(t.file("b")) == [1, 2, 3])
        try FileIO.writeAtomically("héllo", to: t.file("s"))
        #expect(try FileIO.readText(t.file("s")) == "héllo")
        #expect(listing(t.path) == ["b", "s"])
    }
}
