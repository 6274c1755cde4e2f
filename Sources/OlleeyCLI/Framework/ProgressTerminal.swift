import Foundation
import OlleeyKit

/// Draws a `ProgressView` on a terminal (stderr): the running units' lines at the bottom,
/// redrawn in place at most 10 times a second (and every 100 ms for the clocks); a unit that
/// settled is printed once as a permanent line above them, as are log lines (and, with `-v`,
/// subprocess command lines). When it stops, the live lines are cleared and every unit's final
/// line stays.
///
/// Only for a terminal that moves its cursor (`TERM` not `dumb`: `ProgressTerminal.wanted`);
/// colour only with `color` (`NO_COLOR`, `--no-color` and dumb terminals get none).
public final class ProgressTerminal: @unchecked Sendable {
    private let sink: OutputSink
    private let color: Bool
    private let width: Int
    private let clock: @Sendable () -> Int64
    private let lock = NSLock()
    private var view = ProgressView()
    private var drawn = 0
    private var lastDrawMs: Int64 = 0
    private var printed: [String: Int64] = [:]  // label -> elapsed of the final line printed
    private var stopped = false
    private var ticker: Thread?

    /// Whether to draw live progress: stderr is a terminal, the terminal can move its cursor,
    /// and the command prints neither JSON nor nothing.
    public static func wanted(_ ctx: Context) -> Bool {
        ctx.stderr.isTTY && ctx.environment["TERM"] != "dumb" && !ctx.json && !ctx.quiet
    }

    public init(sink: OutputSink, color: Bool, width: Int = 100,
                clock: @escaping @Sendable () -> Int64 = { Int64(Clock.monotonicNanos() / 1_000_000) }) {
        self.sink = sink; self.color = color; self.width = max(20, width); self.clock = clock
    }

    /// The terminal's width on stderr (100 when unknown), less one so no line wraps.
    public static func width(_ environment: [String: String]) -> Int {
        var ws = winsize()
        if ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &ws) == 0, ws.ws_col > 0 { return Int(ws.ws_col) - 1 }
        if let c = environment["COLUMNS"].flatMap({ Int($0) }), c > 0 { return c - 1 }
        return 100
    }

    /// Redraws every 100 ms until `finish()` (so the elapsed times move between events).
    public func start() {
        let t = Thread { [weak self] in
            while let s = self, !s.isStopped {
                s.draw(force: true)
                usleep(100_000)
            }
        }
        ticker = t
        t.start()
    }

    private var isStopped: Bool { lock.lock(); defer { lock.unlock() }; return stopped }

    public func handle(_ e: ProgressEvent) {
        lock.lock(); view.apply(e); lock.unlock()
        draw(force: false)
    }

    /// A line that stays (a log line, a command line), printed above the live lines.
    public func permanent(_ line: String) {
        lock.lock(); defer { lock.unlock() }
        var out = clearLive()
        out += line + "\n"
        out += live(clock())
        sink.write(out)
    }

    /// Stops redrawing: the live lines are replaced by the final lines.
    public func finish() {
        lock.lock()
        stopped = true
        var out = clearLive()
        let now = clock()
        for l in view.lines(nowMs: now) where printed[l.label] != l.elapsedMs {
            out += render(l) + "\n"
            printed[l.label] = l.elapsedMs
        }
        sink.write(out)
        lock.unlock()
    }

    func draw(force: Bool) {
        lock.lock(); defer { lock.unlock() }
        if stopped { return }
        let now = clock()
        if !force && now - lastDrawMs < 100 { return }
        lastDrawMs = now
        sink.write(clearLive() + live(now))
    }

    /// Moves up over the live lines and clears them (the cursor ends where they began).
    private func clearLive() -> String {
        guard drawn > 0 else { return "" }
        let s = "\r\u{1B}[\(drawn)A\u{1B}[J"
        drawn = 0
        return s
    }

    /// The settled units not printed yet (printed for good), then the running ones.
    private func live(_ now: Int64) -> String {
        var out = ""
        var running: [String] = []
        for l in view.lines(nowMs: now) {
            if l.state == .running {
                running.append(render(l))
            } else if printed[l.label] != l.elapsedMs {
                out += render(l) + "\n"
                printed[l.label] = l.elapsedMs
            }
        }
        for r in running { out += "\u{1B}[2K" + r + "\n" }
        drawn = running.count
        return out
    }

    func render(_ l: ProgressView.Line) -> String {
        let text = ProgressView.text(l, width: width)
        guard color else { return text }
        switch l.state {
        case .done: return "\u{1B}[32m" + text + "\u{1B}[0m"
        case .failed: return "\u{1B}[31m" + text + "\u{1B}[0m"
        case .running: return text
        }
    }
}
