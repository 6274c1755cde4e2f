import Foundation
import Testing
import OlleeyCLI
import OlleeyKit
import OlleeyTestSupport

// olleey glossary import: the report of skipped and merged entries, --strict, encodings.

@Suite("olleey glossary import: skipped entries, merges, --strict, invalid UTF-8")
struct GlossaryImportCLITests {
    static let tbx = """
        <?xml version="1.0" encoding="UTF-8"?>
        <tbx style="dct" type="TBX-Basic" xml:lang="en" xmlns="urn:iso:std:iso:30042:ed-2" xmlns:basic="http://www.tbxinfo.net/ns/basic">
          <text><body>
            <conceptEntry id="c1">
              <langSec xml:lang="en">
                <termSec><term>open cluster</term><basic:administrativeStatus>preferredTerm-admn-sts</basic:administrativeStatus></termSec>
                <termSec><term>galactic cluster</term><basic:administrativeStatus>deprecatedTerm-admn-sts</basic:administrativeStatus></termSec>
              </langSec>
              <langSec xml:lang="es"><termSec><term>cúmulo abierto</term></termSec></langSec>
            </conceptEntry>
            <conceptEntry id="c2"><langSec xml:lang="zu"><termSec><term>iqoqo</term></termSec></langSec></conceptEntry>
            <conceptEntry id="c3"><langSec xml:lang="en"><termSec><term>open cluster</term></termSec></langSec><langSec xml:lang="es"><termSec><term>cúmulo galáctico</term></termSec></langSec></conceptEntry>
          </body></text>
        </tbx>
        """

    @Test("TBX: valid entries imported, the skipped one reported with line and id, the merge reported, counts in text and --json")
    func partial() throws {
        let w = try ReviewWorkspace()
        _ = try w.json(["glossary", "create", "astro", "--source-lang", "en"])
        w.dir.write("dct.tbx", Self.tbx)
        let text = w.run(["glossary", "import", "astro", "dct.tbx"])
        #expect(text.exit == 0, "\(text.stderr)")
        #expect(text.stdout.contains("Imported 2 terms into astro (2 new, 0 replaced); skipped 1 entry, merged 1; it has 2"), "\(text.stdout)")
        #expect(text.stderr.contains("warning: dct.tbx:11: skipped entry 'c2': no en term (the glossary's source language)"), "\(text.stderr)")
        #expect(text.stderr.contains("dct.tbx:12: merged the entry for 'open cluster' into the one at line 4"), "\(text.stderr)")
        let terms = try w.json(["glossary", "show", "astro"])["term_list"]?.arrayValue ?? []
        #expect(terms.map { $0["term"] } == [.string("open cluster"), .string("galactic cluster")])
        #expect(terms.last?["forbidden"] == .bool(true))
        #expect(terms.first?["targets"]?["es"]?["variants"] == .array([.string("cúmulo galáctico")]))
        let j = try w.json(["glossary", "import", "astro", "dct.tbx"])
        #expect(j["imported"] == .int(2) && j["skipped"] == .int(1) && j["merged"] == .int(1) && j["updated"] == .int(2))
        #expect(j["skipped_entries"] == .array([.object([("line", .int(11)), ("entry", .string("c2")), ("reason", .string("no en term (the glossary's source language)"))])]))
        #expect(j["merges"]?.arrayValue?.first?["into_line"] == .int(4))
    }

    @Test("--strict: any bad entry imports nothing (65, with the line); CSV rows are reported the same way")
    func strict() throws {
        let w = try ReviewWorkspace()
        _ = try w.json(["glossary", "create", "astro", "--source-lang", "en"])
        w.dir.write("dct.tbx", Self.tbx)
        let r = w.run(["glossary", "import", "astro", "dct.tbx", "--strict", "--json"])
        #expect(r.exit == 65)
        #expect(ErrorEnvelope(stderr: r.stderr)?.code == "invalid")
        #expect(r.stderr.contains("dct.tbx:11: entry 'c2': no en term"), "\(r.stderr)")
        #expect(try w.json(["glossary", "show", "astro"])["terms"] == .int(0))
        w.dir.write("t.csv", "term,es\nvideo,vídeo\nshort\n")
        let csv = w.run(["glossary", "import", "astro", "t.csv"])
        #expect(csv.exit == 0 && csv.stderr.contains("t.csv:3: skipped row: 1 fields, the header has 2"), "\(csv.stderr)")
        #expect(csv.stdout.contains("Imported 1 term into astro (1 new, 0 replaced); skipped 1 row, merged 0; it has 1"), "\(csv.stdout)")
        #expect(w.run(["glossary", "import", "astro", "t.csv", "--strict"]).exit == 65)
        // every entry bad: 65 even without --strict
        w.dir.write("none.csv", "term,es\n,x\n")
        #expect(w.run(["glossary", "import", "astro", "none.csv"]).exit == 65)
    }

    @Test("invalid UTF-8 in TBX: 65 with the line, nothing imported")
    func invalidUTF8() throws {
        let w = try ReviewWorkspace()
        _ = try w.json(["glossary", "create", "astro", "--source-lang", "en"])
        let bytes = Array("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<tbx xml:lang=\"en\"><text><body>\n<conceptEntry><langSec xml:lang=\"en\"><termSec><term>caf".utf8)
            + [0xFF] + Array("</term></termSec></langSec></conceptEntry></body></text></tbx>\n".utf8)
        try Data(bytes).write(to: URL(fileURLWithPath: w.path + "/bad8.tbx"))
        let r = w.run(["glossary", "import", "astro", "bad8.tbx"])
        #expect(r.exit == 65)
        #expect(r.stderr.contains("bad8.tbx:3:") && r.stderr.contains("invalid UTF-8"), "\(r.stderr)")
        #expect(try w.json(["glossary", "show", "astro"])["terms"] == .int(0))
    }
}
