import Foundation
import Testing
import OlleeyKit

/// OlleeyKit's messages name no command-line flag: what to change or run next is a structured
/// `NextAction` that each front end phrases its own way.
@Suite("structured next actions instead of flags in messages")
struct NextActionTests {
    @Test("a setting without effect says which setting would make it count, as data")
    func noEffect() throws {
        let f = try ReviewFixture()
        let svc = ConfigService(f.db)
        _ = try svc.set("engines.translate.command", "my-mt {input} {output}")
        let unused = try svc.noEffect(afterSetting: "engines.translate.command")
        #expect(unused.map(\.next) == [.setting("engines.translate", example: "command")])
        #expect(unused.allSatisfy { !$0.message.contains("--") && !$0.message.contains("olleey ") })
        #expect(unused.first?.json["next"]?["key"] == .string("engines.translate"))
    }

    @Test("a language not rendered yet: run the job, as a command action, not a command line in the hint")
    func notReviewable() throws {
        let f = try ReviewFixture()
        let j = try f.job(["es"], status: .queued, languageStatus: .queued)
        do {
            _ = try f.qc.decide(j, language: "es", .approve, actor: Actor(email: nil))
            Issue.record("expected a conflict")
        } catch let e as OlleeyError {
            #expect(e.code == .conflict)
            // the printed id is the shortest unique prefix, which grows while its time span is open
            guard case let .command(action, args, options)? = e.next.first, e.next.count == 1 else { Issue.record("\(e.next)"); return }
            #expect(action == "job run" && options.isEmpty)
            #expect(args.count == 1 && j.id.hasPrefix(args[0]) && args[0].count >= 8, "\(args)")
            #expect(!(e.hint ?? "").contains("olleey"))
        }
    }
}
