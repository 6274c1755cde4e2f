import Foundation

/// Where a job's outputs live: `outputs/JOB/NAME.master.mp4`, `outputs/JOB/LANG/NAME.LANG.EXT`,
/// NAME being the source's file name without extension, made safe for a path. The pipeline,
/// `job outputs`, the dry-run plan and the demo all use this one layout.
public enum OutputLayout {
    public static func base(_ job: Job) -> String {
        let name = ((job.sourceName as NSString).lastPathComponent as NSString).deletingPathExtension
        let safe = String(name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" })
        return safe.isEmpty ? "video" : safe
    }

    public static func dir(outputsDir: String, jobId: String) -> String { outputsDir + "/" + jobId }

    public static func master(outputsDir: String, job: Job) -> String {
        dir(outputsDir: outputsDir, jobId: job.id) + "/" + base(job) + ".master.mp4"
    }

    /// `outputs/JOB/LANG/NAME.LANG` (add the extension).
    public static func languageStem(outputsDir: String, job: Job, language: String) -> String {
        dir(outputsDir: outputsDir, jobId: job.id) + "/" + language + "/" + base(job) + "." + language
    }

    public static func sourceVTT(outputsDir: String, job: Job) -> String {
        languageStem(outputsDir: outputsDir, job: job, language: job.sourceLang) + ".vtt"
    }
}
