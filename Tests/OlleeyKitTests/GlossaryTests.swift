import Foundation
import Testing
import OlleeyKit
import WebVTT

@Suite("Glossary: terms, CSV and TBX, check, pipeline protection")
struct GlossaryTests {
    static let rich: [GlossaryTerm] = [
        GlossaryTerm(term: "Olleey", partOfSpeech: "properNoun", note: "our brand", dnt: true, caseSensitive: true),
        GlossaryTerm(term: "channel", variants: ["chanel"], partOfSpeech: "noun", note: "a YouTube channel, with \"quotes\", commas",
                     targets: [TermTarget(language: "es", target: "canal", variants: ["canales"], forbidden: ["cadena"]),
                               TermTarget(language: "fr", target: "chaîne", variants: ["chaînes"])]),
        GlossaryTerm(term: "cheap", partOfSpeech: "adjective", forbidden: true, targets: [TermTarget(language: "es", target: "barato")]),
        GlossaryTerm(term: "dubbing", targets: [TermTarget(language: "es", target: "doblaje")]),
        GlossaryTerm(term: "R&D <team>", note: "line one\nline two", targets: [TermTarget(language: "de", target: "F&E-Team")]),
    ]

    static func glossary(_ f: ReviewFixture, terms: [GlossaryTerm] = rich) throws -> Glossary {
        let svc = GlossaryService(f.db)
        let g = try svc.create(name: "brand", sourceLang: "en")
        for t in terms { _ = try svc.addTerm(g, t) }
        return try svc.resolve("brand")
    }

    static func contents(_ terms: [GlossaryTerm]) -> [GlossaryTerm] { terms.map(\.content) }

    @Test("terms: add, duplicates, replace, remove, validation")
    func terms() throws {
        let f = try ReviewFixture()
        let g = try Self.glossary(f)
        let svc = GlossaryService(f.db)
        #expect(g.termCount == 5)
        #expect(errorCode { _ = try svc.addTerm(g, GlossaryTerm(term: "channel")) } == .alreadyExists)
        _ = try svc.addTerm(g, GlossaryTerm(term: "channel", targets: [TermTarget(language: "es", target: "canal")]), replace: true)
        #expect(try svc.terms(g).first { $0.term == "channel" }?.variants == [])
        #expect(errorCode { _ = try svc.addTerm(g, GlossaryTerm(term: "  ")) } == .invalid)
        #expect(errorCode { _ = try svc.addTerm(g, GlossaryTerm(term: "x", targets: [TermTarget(language: "en", target: "y")])) } == .invalid)
        #expect(errorCode { _ = try svc.addTerm(g, GlossaryTerm(term: "x", targets: [TermTarget(language: "zz", target: "y")])) } == .invalid)
        #expect(try svc.removeTerm(g, "CHEAP").term == "cheap")
        #expect(errorCode { _ = try svc.removeTerm(g, "cheap") } == .notFound)
        #expect(errorCode { _ = try svc.create(name: "brand", sourceLang: "en") } == .alreadyExists)
        #expect(errorCode { _ = try svc.create(name: "other", sourceLang: "klingon") } == .invalid)
        #expect(errorCode { _ = try svc.resolve("nope") } == .notFound)
        #expect(try svc.terms(g, language: "fr").first { $0.term == "channel" }?.targets.map(\.language) == [])
    }

    @Test("CSV round trip keeps every field and flag")
    func csvRoundTrip() throws {
        let f = try ReviewFixture()
        let g = try Self.glossary(f)
        let svc = GlossaryService(f.db)
        let csv = try svc.export(g, format: .csv)
        #expect(csv.hasPrefix("term,variants,part_of_speech,note,dnt,forbidden,case_sensitive,de,es,fr,es_forbidden\r\n"))
        let back = try GlossaryCSV.parse(csv, sourceLang: "en", fileName: "x.csv")
        #expect(Self.contents(back) == Self.contents(try svc.terms(g)))
        // and into another glossary through the service
        let g2 = try svc.create(name: "copy", sourceLang: "en")
        let r = try svc.importTerms(g2, bytes: Array(csv.utf8), format: .csv, fileName: "x.csv")
        #expect(r.created == 5 && r.updated == 0)
        #expect(Self.contents(try svc.terms(g2)) == Self.contents(try svc.terms(g)))
    }

    @Test("TBX round trip keeps forbidden, do-not-translate, case, part of speech, variants and notes")
    func tbxRoundTrip() throws {
        let f = try ReviewFixture()
        let g = try Self.glossary(f)
        let svc = GlossaryService(f.db)
        let tbx = try svc.export(g, format: .tbx)
        #expect(tbx.contains("<termNote type=\"administrativeStatus\">deprecatedTerm-admn-sts</termNote>"))
        #expect(tbx.contains("<termNote type=\"transferComment\">do not translate</termNote>"))
        #expect(tbx.contains("<termNote type=\"partOfSpeech\">properNoun</termNote>"))
        #expect(tbx.contains("R&amp;D &lt;team&gt;"))
        let g2 = try svc.create(name: "copy", sourceLang: "en")
        _ = try svc.importTerms(g2, bytes: Array(tbx.utf8), format: .tbx, fileName: "brand.tbx")
        #expect(Self.contents(try svc.terms(g2)) == Self.contents(try svc.terms(g)))
    }

    @Test("TBX v2 (martif, termEntry, langSet, tig, ntig) imports, with statuses")
    func tbxV2() throws {
        let tbx = """
            <?xml version='1.0' encoding="UTF-8"?>
            <!DOCTYPE martif SYSTEM "TBXcoreStructV02.dtd">
            <martif type="TBX" xml:lang="en-US">
            <martifHeader><fileDesc><sourceDesc><p>from a CAT tool</p></sourceDesc></fileDesc></martifHeader>
            <text><body>
            <!-- a comment -->
            <termEntry id="t1">
              <descrip type="definition">A place to publish videos</descrip>
              <langSet xml:lang="en-US"><tig><term>channel</term><termNote type="partOfSpeech">noun</termNote></tig></langSet>
              <langSet xml:lang="es-ES">
                <tig><term>canal</term><termNote type="administrativeStatus">preferredTerm-admn-sts</termNote></tig>
                <tig><term>cadena</term><termNote type="administrativeStatus">deprecatedTerm-admn-sts</termNote></tig>
              </langSet>
              <langSet xml:lang="fr"><ntig><termGrp><term><![CDATA[cha&icirc;ne]]></term></termGrp></ntig></langSet>
            </termEntry>
            <termEntry id="t2">
              <langSet xml:lang="en"><tig><term>Oll&#x65;ey</term><termNote type="transferComment">Do not translate.</termNote></tig></langSet>
            </termEntry>
            </body></text></martif>
            """
        let terms = try TBX.parse(Array(tbx.utf8), sourceLang: "en", fileName: "v2.tbx")
        #expect(terms.count == 2)
        let channel = terms[0]
        #expect(channel.term == "channel" && channel.partOfSpeech == "noun" && channel.note == "A place to publish videos")
        #expect(channel.target("es") == TermTarget(language: "es", target: "canal", forbidden: ["cadena"]))
        #expect(channel.target("fr")?.target == "cha&icirc;ne")   // CDATA is literal
        #expect(terms[1].term == "Olleey" && terms[1].dnt)
    }

    @Test("malformed TBX: 65 with the line, nothing imported")
    func tbxMalformed() throws {
        let f = try ReviewFixture()
        let g = try Self.glossary(f)
        let svc = GlossaryService(f.db)
        let cases: [(String, String)] = [
            ("<tbx><text><body><conceptEntry>", "1"),
            ("<tbx>\n<text>\n<body>\n<conceptEntry></langSec>\n</body></text></tbx>", "4"),
            ("<tbx><text><body>\n<conceptEntry><langSec xml:lang=\"en\"><termSec><term>a &nbsp; b</term></termSec></langSec></conceptEntry>\n</body></text></tbx>", "2"),
            ("<tbx><text><body>\n<conceptEntry id=\"x\"><langSec xml:lang=\"es\"><termSec><term>canal</term></termSec></langSec></conceptEntry>\n</body></text></tbx>", "2"),
            ("<tbx><text><body>\n\n<conceptEntry><langSec><termSec><term>a</term></termSec></langSec></conceptEntry></body></text></tbx>", "3"),
            ("<glossary/>", "1"),
            ("", "1"),
            ("<tbx a=b></tbx>", "1"),
        ]
        for (text, line) in cases {
            do {
                _ = try svc.importTerms(g, bytes: Array(text.utf8), format: .tbx, fileName: "bad.tbx", strict: true)
                Issue.record("imported malformed TBX: \(text)")
            } catch let e as OlleeyError {
                #expect(e.code == .invalid)
                #expect(e.message.hasPrefix("bad.tbx:\(line):"), "\(e.message)")
            }
        }
        #expect(try svc.resolve(g.id).termCount == 5)
        // one good entry and one bad one: nothing with strict
        let mixed = """
            <tbx><text><body>
            <conceptEntry><langSec xml:lang="en"><termSec><term>new one</term></termSec></langSec></conceptEntry>
            <conceptEntry><langSec xml:lang="qq"><termSec><term>x</term></termSec></langSec></conceptEntry>
            </body></text></tbx>
            """
        #expect(errorCode { _ = try svc.importTerms(g, bytes: Array(mixed.utf8), format: .tbx, fileName: "m.tbx", strict: true) } == .invalid)
        #expect(try svc.resolve(g.id).termCount == 5)
    }

    @Test("malformed CSV: 65 with line numbers, nothing imported")
    func csvMalformed() throws {
        let f = try ReviewFixture()
        let g = try Self.glossary(f)
        let svc = GlossaryService(f.db)
        let cases: [(String, String)] = [
            ("term,es\nchannel,canal\nvideo\n", "x.csv:3: 1 fields, the header has 2"),
            ("term,es\nchannel,\"canal\n", "x.csv:2: a quoted field is never closed"),
            ("term,es\nchannel,ca\"nal\n", "x.csv:2: a quote inside an unquoted field"),
            ("term,dnt\nchannel,maybe\n", "x.csv:2: 'maybe' in column dnt is not a flag"),
            ("term,spanish\n", "x.csv:1: unknown column 'spanish'"),
            ("es\ncanal\n", "x.csv:1: no 'term' column"),
            ("term,es\nchannel,canal\nchannel,cadena\n", "x.csv:3: term 'channel' is already on line 2"),
            ("term,en\nchannel,x\n", "x.csv:1: column 'en' is the glossary's source language"),
            ("", "x.csv: empty file"),
        ]
        for (text, prefix) in cases {
            do {
                _ = try svc.importTerms(g, bytes: Array(text.utf8), format: .csv, fileName: "x.csv", strict: true)
                Issue.record("imported malformed CSV: \(text)")
            } catch let e as OlleeyError {
                #expect(e.code == .invalid)
                #expect(e.message.hasPrefix(prefix), "\(e.message)")
            }
        }
        #expect(try svc.resolve(g.id).termCount == 5)
        // quoted commas, doubled quotes, CRLF, a quoted line break (line numbers still right)
        let ok = "term,note,es\r\n\"video, short\",\"say \"\"clip\"\"\",vídeo\r\ntwo,\"line\nbreak\",dos\r\nthird,,tres|terceros\r\n"
        let parsed = try GlossaryCSV.parse(ok, sourceLang: "en", fileName: "ok.csv")
        #expect(parsed.map(\.term) == ["video, short", "two", "third"])
        #expect(parsed[0].note == "say \"clip\"" && parsed[1].note == "line\nbreak")
        #expect(parsed[2].target("es") == TermTarget(language: "es", target: "tres", variants: ["terceros"]))
        // a line number after a quoted line break
        #expect(throws: OlleeyError.self) { try GlossaryCSV.parse("term,note\na,\"x\ny\"\nb,c,d\n", sourceLang: "en", fileName: "n.csv") }
        do { _ = try GlossaryCSV.parse("term,note\na,\"x\ny\"\nb,c,d\n", sourceLang: "en", fileName: "n.csv") } catch let e as OlleeyError {
            #expect(e.message.hasPrefix("n.csv:4:"), "\(e.message)")
        }
    }

    static let source = CheckCue.from(WebVTTParser.parse("""
        WEBVTT

        1
        00:00:01.000 --> 00:00:02.000
        Welcome to our channels.

        2
        00:00:03.000 --> 00:00:04.000
        Olleey makes dubbing easy.

        3
        00:00:05.000 --> 00:00:06.000
        It is not cheap.
        """, mode: .browser).document)

    @Test("check: missing translations, forbidden terms, altered do-not-translate terms, inflection, case")
    func check() throws {
        let f = try ReviewFixture()
        let g = try Self.glossary(f)
        let terms = try GlossaryService(f.db).terms(g)
        let checker = GlossaryChecker(sourceLang: "en", terms: terms)
        let good = Self.source.enumerated().map { i, c in
            CheckCue(id: c.id, line: c.line, startMs: c.startMs, endMs: c.endMs,
                     text: ["Bienvenidos a nuestros Canales.", "Olleey hace fácil el doblaje.", "No es económico."][i])
        }
        #expect(checker.check(target: good, source: Self.source, language: "es").isEmpty)
        let bad = Self.source.enumerated().map { i, c in
            CheckCue(id: c.id, line: c.line, startMs: c.startMs, endMs: c.endMs,
                     text: ["Bienvenidos a nuestras cadenas.", "olleey hace fácil la traducción.", "No es barato."][i])
        }
        let found = checker.check(target: bad, source: Self.source, language: "es")
        #expect(found.map(\.kind) == [.forbiddenTerm, .missingTranslation, .dntAltered, .missingTranslation, .forbiddenTerm])
        #expect(found[0].found == "cadenas" && found[0].cue == "1" && found[0].line == 4)
        #expect(found[2].term == "Olleey")          // case-sensitive: "olleey" is altered
        #expect(found[4].found == "barato")
        // without the source only forbidden terms are found
        #expect(checker.check(target: bad, source: nil, language: "es").map(\.kind) == [.forbiddenTerm, .forbiddenTerm])
        // cues paired by time when ids and counts differ
        let shifted = [CheckCue(id: "a", startMs: 3_100, endMs: 3_900, text: "Olleey hace fácil el doblaje.")]
        #expect(checker.check(target: shifted, source: Self.source, language: "es").isEmpty)
    }

    @Test("matching: inflection tolerance, case flag, languages without spaces")
    func matching() {
        #expect(TermMatcher.contains("Nuestros canales", form: "canal", language: "es", caseSensitive: false))
        #expect(TermMatcher.contains("the cities", form: "city", language: "en", caseSensitive: false))
        #expect(TermMatcher.contains("we dubbed it", form: "dubbing", language: "en", caseSensitive: false))
        #expect(TermMatcher.contains("video channels", form: "video channel", language: "en", caseSensitive: false))
        #expect(!TermMatcher.contains("Bienvenidos a Oleada", form: "Olleey", language: "es", caseSensitive: false))
        #expect(!TermMatcher.contains("a category", form: "cat", language: "en", caseSensitive: false))
        #expect(!TermMatcher.contains("a catalog", form: "canal", language: "es", caseSensitive: false))
        #expect(!TermMatcher.contains("OLLEEY rocks", form: "Olleey", language: "en", caseSensitive: true))
        #expect(TermMatcher.contains("OLLEEY rocks", form: "Olleey", language: "en", caseSensitive: false))
        #expect(!TermMatcher.contains("canales", form: "canal", language: "es", caseSensitive: false, inflect: false))
        // Japanese and Chinese: substring matching
        #expect(TermMatcher.contains("私たちのチャンネルへようこそ", form: "チャンネル", language: "ja", caseSensitive: false))
        #expect(TermMatcher.contains("欢迎来到Olleey频道", form: "Olleey", language: "zh", caseSensitive: true))
        #expect(TermMatcher.contains("欢迎来到我们的频道", form: "频道", language: "zh-CN", caseSensitive: false))
        #expect(!TermMatcher.contains("欢迎来到我们的频道", form: "配音", language: "zh", caseSensitive: false))
    }

    @Test("check in Japanese finds a missing required translation by substring")
    func checkJapanese() {
        let t = GlossaryTerm(term: "channel", targets: [TermTarget(language: "ja", target: "チャンネル")])
        let checker = GlossaryChecker(sourceLang: "en", terms: [t])
        let src = [CheckCue(id: "1", text: "Welcome to our channel")]
        #expect(checker.check(target: [CheckCue(id: "1", text: "私たちのチャンネルへようこそ")], source: src, language: "ja").isEmpty)
        #expect(checker.check(target: [CheckCue(id: "1", text: "私たちの番組へようこそ")], source: src, language: "ja").map(\.kind) == [.missingTranslation])
    }

    @Test("pipeline protection: placeholders survive translation and are restored; findings go to the QC data")
    func protection() throws {
        let f = try ReviewFixture()
        let g = try Self.glossary(f)
        let terms = try GlossaryService(f.db).terms(g)
        let p = GlossaryProtection(glossary: g, terms: terms, language: "es")
        let input = [TextCue(id: "1", text: "Olleey is our channel, ZXQ is a word."), TextCue(id: "2", text: "Channels and dubbing.")]
        let protected = p.protect(input)
        #expect(!protected[0].text.contains("Olleey") && !protected[0].text.contains("channel"))
        #expect(!protected[1].text.contains("dubbing"))
        #expect(protected[1].text.contains("Channels"))     // inflected forms are left to the engine
        // a pretend engine: translates the known words, keeps (and lower-cases) what it does not know
        let translated = protected.map { c in
            TextCue(id: c.id, text: c.text.replacingOccurrences(of: "is our", with: "es nuestro").replacingOccurrences(of: "Channels and", with: "Canales y")
                .replacingOccurrences(of: "is a word", with: "es una palabra").lowercased())
        }
        let j = try f.job(["es"])
        let restored = try p.restoreAndRecord(translated, db: f.db, jobId: j.id)
        #expect(restored[0].text == "Olleey es nuestro canal, zxq es una palabra.")
        #expect(restored[1].text == "canales y doblaje.")
        let report = try QCStore(f.db).get(job: j.id, language: "es").glossaryReport
        #expect(report?["ok"] == .bool(true))
        // an engine that drops a placeholder: the violation is recorded
        let lost = try p.restoreAndRecord([TextCue(id: "1", text: "es nuestro canal"), translated[1]], db: f.db, jobId: j.id)
        #expect(lost[0].text == "es nuestro canal")
        let r2 = try QCStore(f.db).get(job: j.id, language: "es").glossaryReport
        #expect(r2?["violations"]?.arrayValue?.first?["kind"] == .string("dnt_altered"))
        #expect(try QCStore(f.db).history(job: j.id).last?.action == "glossary")
    }

    @Test("XML reader: entities, character references, comments, CDATA, errors with lines")
    func xml() throws {
        let doc = try XMLReader.parse(Array("<?xml version=\"1.0\"?>\n<!-- c -->\n<a x='1' y=\"&lt;&amp;&quot;\"><b>&#233;&#xE9;&apos;</b><![CDATA[<raw>&]]><c/></a>\n".utf8))
        #expect(doc.name == "a" && doc.attribute("y") == "<&\"")
        #expect(doc.elements("b").first?.text == "éé'")
        #expect(doc.text == "éé'<raw>&")
        #expect(doc.elements.map(\.name) == ["b", "c"])
        for (bad, line) in [("<a>\n<b>\n</a>", 3), ("<a></a><b/>", 1), ("<a x=1/>", 1), ("<a>&bogus;</a>", 1), ("<a x='1' x='2'/>", 1), ("\n\n<a>", 3)] {
            do { _ = try XMLReader.parse(Array(bad.utf8)); Issue.record("parsed \(bad)") } catch let e as XMLSyntaxError {
                #expect(e.line == line, "\(bad): \(e.message)")
            }
        }
    }
}
