import Foundation
import Testing
import OlleeyKit

/// TBX and CSV import on files as people have them: DCT style, statuses, encodings, partial
/// import with skipped entries, merges.
@Suite("Glossary import: TBX v3 DCT and DCA, statuses, encodings, skipped entries, merges")
struct GlossaryImportTests {
    static func tbx(_ body: String, header: String = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>") -> [UInt8] {
        Array("""
            \(header)
            <tbx style="dct" type="TBX-Basic" xml:lang="en" xmlns="urn:iso:std:iso:30042:ed-2" xmlns:basic="http://www.tbxinfo.net/ns/basic" xmlns:min="http://www.tbxinfo.net/ns/min">
            <text><body>
            \(body)
            </body></text></tbx>
            """.utf8)
    }

    static func read(_ bytes: [UInt8], strict: Bool = false) throws -> GlossaryImportFile {
        try GlossaryImport.read(bytes, format: .tbx, sourceLang: "en", fileName: "t.tbx", strict: strict)
    }

    @Test("DCT style: namespaced administrativeStatus and partOfSpeech are read (deprecated -> forbidden)")
    func dct() throws {
        let f = try Self.read(Self.tbx("""
            <conceptEntry id="c1">
              <langSec xml:lang="en">
                <termSec><term>open cluster</term><basic:administrativeStatus>preferredTerm-admn-sts</basic:administrativeStatus><min:partOfSpeech>noun</min:partOfSpeech></termSec>
                <termSec><term>galactic cluster</term><basic:administrativeStatus>deprecatedTerm-admn-sts</basic:administrativeStatus></termSec>
              </langSec>
              <langSec xml:lang="es">
                <termSec><term>cúmulo abierto</term><basic:administrativeStatus>preferredTerm-admn-sts</basic:administrativeStatus></termSec>
                <termSec><term>cúmulo galáctico</term><min:administrativeStatus>supersededTerm-admn-sts</min:administrativeStatus></termSec>
                <termSec><term>cúmulo estelar abierto</term><basic:administrativeStatus>admittedTerm-admn-sts</basic:administrativeStatus></termSec>
              </langSec>
            </conceptEntry>
            """))
        #expect(f.skipped.isEmpty)
        #expect(f.terms.map(\.term) == ["open cluster", "galactic cluster"])
        #expect(f.terms[0].partOfSpeech == "noun" && !f.terms[0].forbidden)
        #expect(f.terms[0].target("es") == TermTarget(language: "es", target: "cúmulo abierto", variants: ["cúmulo estelar abierto"], forbidden: ["cúmulo galáctico"]))
        #expect(f.terms[1].forbidden)
    }

    @Test("usageStatus and DCA termNote: notRecommended and obsolete are forbidden, admitted a variant; the stricter of two statuses counts")
    func usageStatus() throws {
        let f = try Self.read(Self.tbx("""
            <conceptEntry id="a">
              <langSec xml:lang="en">
                <termSec><term>sunrise</term><termNote type="usageStatus">preferred</termNote></termSec>
                <termSec><term>sun-up</term><termNote type="usageStatus">admitted</termNote></termSec>
                <termSec><term>daybreak</term><basic:usageStatus>notRecommended</basic:usageStatus></termSec>
              </langSec>
              <langSec xml:lang="fr">
                <termSec><term>lever du soleil</term></termSec>
                <termSec><term>levant</term><termNote type="usageStatus">obsolete</termNote></termSec>
                <termSec><term>aube</term><termNote type="administrativeStatus">preferredTerm-admn-sts</termNote><termNote type="usageStatus">notRecommended</termNote></termSec>
              </langSec>
            </conceptEntry>
            """))
        #expect(f.terms.map(\.term) == ["sunrise", "daybreak"])
        #expect(f.terms[0].variants == ["sun-up"] && !f.terms[0].forbidden)
        #expect(f.terms[0].target("fr") == TermTarget(language: "fr", target: "lever du soleil", forbidden: ["levant", "aube"]))
        #expect(f.terms[1].forbidden)
    }

    @Test("bad entries are skipped with their line, id and reason; strict refuses; all bad is a 65")
    func skipped() throws {
        let bytes = Self.tbx("""
            <conceptEntry id="ok"><langSec xml:lang="en"><termSec><term>comet</term></termSec></langSec></conceptEntry>
            <conceptEntry id="zulu"><langSec xml:lang="zu"><termSec><term>inkanyezi</term></termSec></langSec></conceptEntry>
            <conceptEntry id="dash"><langSec xml:lang="---"><termSec><term>x</term></termSec></langSec></conceptEntry>
            <conceptEntry><langSec xml:lang="en"><termSec><term>  </term></termSec></langSec></conceptEntry>
            <conceptEntry id="ok2"><langSec xml:lang="en"><termSec><term>nebula</term></termSec></langSec><langSec xml:lang="es"><termSec><term>nebulosa</term></termSec></langSec></conceptEntry>
            """)
        let f = try Self.read(bytes)
        #expect(f.terms.map(\.term) == ["comet", "nebula"])
        #expect(f.skipped == [
            GlossaryImportSkip(line: 5, entry: "zulu", reason: "no en term (the glossary's source language)"),
            GlossaryImportSkip(line: 6, entry: "dash", reason: "unknown language '---'"),
            GlossaryImportSkip(line: 7, entry: nil, reason: "empty <term>"),
        ])
        do { _ = try Self.read(bytes, strict: true); Issue.record("strict imported a file with bad entries") } catch let e as OlleeyError {
            #expect(e.code == .invalid && e.message.hasPrefix("t.tbx:5: entry 'zulu': no en term"), "\(e.message)")
            #expect(e.message.contains("t.tbx:7: empty <term>"))
        }
        do {
            _ = try Self.read(Self.tbx("<conceptEntry id=\"z\"><langSec xml:lang=\"zu\"><termSec><term>a</term></termSec></langSec></conceptEntry>"))
            Issue.record("a file with no valid entry was imported")
        } catch let e as OlleeyError {
            #expect(e.code == .invalid && e.message.hasPrefix("t.tbx:4: entry 'z':") && e.hint == "no entry could be imported")
        }
        // an empty body is not an error (an empty glossary's export)
        #expect(try Self.read(Self.tbx("")).terms.isEmpty)
    }

    @Test("duplicate entries are merged and reported; repeated variants are kept once")
    func merges() throws {
        let f = try Self.read(Self.tbx("""
            <conceptEntry id="m1"><langSec xml:lang="en"><termSec><term>star</term></termSec><termSec><term>stars</term></termSec><termSec><term>stars</term></termSec></langSec>
              <langSec xml:lang="es"><termSec><term>estrella</term></termSec><termSec><term>astro</term></termSec><termSec><term>astro</term></termSec></langSec></conceptEntry>
            <conceptEntry id="m2"><langSec xml:lang="en"><termSec><term>star</term></termSec><termSec><term>stars</term></termSec></langSec>
              <langSec xml:lang="es"><termSec><term>estrella</term></termSec><termSec><term>lucero</term></termSec></langSec></conceptEntry>
            """))
        #expect(f.terms.count == 1)
        #expect(f.terms[0].variants == ["stars"])
        #expect(f.terms[0].target("es") == TermTarget(language: "es", target: "estrella", variants: ["astro", "lucero"]))
        #expect(f.merged == [GlossaryImportMerge(term: "star", line: 6, into: 4)])
        // validation drops repeats for every import path
        let t = try GlossaryTerm(term: "a", variants: ["b", "b", "a"], targets: [TermTarget(language: "es", target: "x", variants: ["y", "y"], forbidden: ["z", "z"])])
            .validated(sourceLang: "en")
        #expect(t.variants == ["b"] && t.targets[0].variants == ["y"] && t.targets[0].forbidden == ["z"])
    }

    @Test("encodings: invalid UTF-8 and Latin-1 declared as UTF-8 are a 65 with the line; declared Latin-1 and UTF-16 with a BOM are read")
    func encodings() throws {
        var bad = Self.tbx("<conceptEntry><langSec xml:lang=\"en\"><termSec><term>caf@</term></termSec></langSec></conceptEntry>")
        let at = try #require(bad.firstIndex(of: UInt8(ascii: "@")))
        bad[at] = 0xE9   // Latin-1 é in a file that says UTF-8
        do { _ = try Self.read(bad); Issue.record("invalid UTF-8 imported") } catch let e as OlleeyError {
            #expect(e.code == .invalid && e.message.hasPrefix("t.tbx:4:") && e.message.contains("invalid UTF-8"), "\(e.message)")
        }
        bad[at] = 0xFF
        #expect(throws: OlleeyError.self) { try Self.read(bad) }
        let latin = Self.tbx("<conceptEntry><langSec xml:lang=\"en\"><termSec><term>caf@</term></termSec></langSec></conceptEntry>",
                             header: "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>").map { $0 == UInt8(ascii: "@") ? 0xE9 : $0 }
        #expect(try Self.read(latin).terms.map(\.term) == ["café"])
        // a UTF-8 byte-order mark outranks a Latin-1 declaration
        let marked = [0xEF, 0xBB, 0xBF] + Self.tbx("<conceptEntry><langSec xml:lang=\"en\"><termSec><term>café</term></termSec></langSec></conceptEntry>",
                                                   header: "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>")
        #expect(try Self.read(marked).terms.map(\.term) == ["café"])
        let text = String(decoding: Self.tbx("<conceptEntry><langSec xml:lang=\"en\"><termSec><term>café</term></termSec></langSec></conceptEntry>",
                                             header: "<?xml version=\"1.0\" encoding=\"UTF-16\"?>"), as: UTF8.self)
        let utf16: [UInt8] = [0xFF, 0xFE] + text.utf16.flatMap { (u: UInt16) -> [UInt8] in [UInt8(u & 0xFF), UInt8(u >> 8)] }
        #expect(try Self.read(utf16).terms.map(\.term) == ["café"])
        #expect(throws: OlleeyError.self) { try Self.read(Array("<?xml version='1.0' encoding='Shift_JIS'?><tbx/>".utf8)) }
        // the validator itself: overlong forms, surrogates, truncated sequences, above U+10FFFF
        #expect(GlossaryImport.firstInvalidUTF8(Array("ok é € 𝄞".utf8)) == nil)
        for (bytes, at) in [([0x61, 0xC0, 0xAF], 1), ([0xED, 0xA0, 0x80], 0), ([0x61, 0x62, 0xE2, 0x82], 2), ([0xF4, 0x90, 0x80, 0x80], 0), ([0x80], 0)] as [([UInt8], Int)] {
            #expect(GlossaryImport.firstInvalidUTF8(bytes) == at, "\(bytes)")
        }
    }

    @Test("CSV: bad rows are skipped with their line (strict refuses), invalid UTF-8 is a 65 with the line")
    func csv() throws {
        let text = "term,es\nvideo,vídeo\nshort\n,x\nvideo,y\nclip,clip|clip\n"
        let f = try GlossaryImport.read(Array(text.utf8), format: .csv, sourceLang: "en", fileName: "x.csv")
        #expect(f.terms.map(\.term) == ["video", "clip"])
        #expect(f.terms[1].target("es") == TermTarget(language: "es", target: "clip"))
        #expect(f.skipped.map(\.line) == [3, 4, 5])
        #expect(f.skipped.map(\.reason) == ["1 fields, the header has 2", "empty term", "term 'video' is already on line 2"])
        #expect(throws: OlleeyError.self) { try GlossaryImport.read(Array(text.utf8), format: .csv, sourceLang: "en", fileName: "x.csv", strict: true) }
        do {
            _ = try GlossaryImport.read([0x74, 0x65, 0x72, 0x6D, 0x0A, 0x63, 0x61, 0x66, 0xE9, 0x0A], format: .csv, sourceLang: "en", fileName: "x.csv")
            Issue.record("invalid UTF-8 CSV imported")
        } catch let e as OlleeyError {
            #expect(e.message.hasPrefix("x.csv:2:4: invalid UTF-8"), "\(e.message)")
        }
    }
}
