import Foundation

/// lip_sync: a command hook, only when asked and configured (else skipped, as cached).
struct LipSyncStage: PipelineStage {
    var stage: Stage { .lipSync }
    let hook: CommandTemplate?
    func run(_ context: StageContext) throws -> StageResult<Bool> {
        if context.job.options.lipSync && hook == nil {
            throw OlleeyError.unavailable("lip sync was asked but engines.lipsync.command is not set",
                                          next: [.setting("engines.lipsync.command", example: "'my-lipsync {video} {audio} {output}'")])
        }
        return StageResult(false, cached: true)
    }
}
