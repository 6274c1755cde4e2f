import Foundation

/// voice: the language's voice (the job's choice, else the engine's default). Always cached.
struct VoiceStage: PipelineStage {
    var stage: Stage { .voice }
    func run(_ context: StageContext) throws -> StageResult<String?> {
        StageResult(context.language.flatMap { context.job.options.voices[$0] }, cached: true)
    }
}
