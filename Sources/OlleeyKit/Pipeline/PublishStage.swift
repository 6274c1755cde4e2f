import Foundation

/// publish: the job's languages to its channel through the channel's publisher hook (a paused
/// channel, or a language without a channel or hook, stays a draft). Returns the languages
/// published.
struct PublishStage: PipelineStage {
    var stage: Stage { .publish }

    func run(_ context: StageContext) throws -> StageResult<Set<String>> {
        let publisher = ChannelPublisher(db: context.db, workspace: context.workspace, cancel: context.cancel)
        return StageResult(try publisher.publish(context.job, log: context.pipeline.log), cached: false)
    }
}
