import Foundation

/// In-process conversion of a 16-bit PCM WAV to the mix format (48 kHz stereo), so a clip that
/// needs no tempo change costs no ffmpeg process. Resampling is cubic (Catmull-Rom)
/// interpolation, which is transparent for synthesized speech.
public enum PCMResample {
    /// Converts `input` to `format` (16-bit PCM). Returns false, writing nothing, when the input
    /// is not a 16-bit PCM WAV of 1 or 2 channels (the caller then uses ffmpeg).
    public static func convert(_ input: String, to output: String, format: WAVFormat = .mix) throws -> Bool {
        guard format.audioFormat == 1, format.bitsPerSample == 16, format.channels <= 2,
              let h = try WAVHeader.read(input), h.format.audioFormat == 1, h.format.bitsPerSample == 16,
              (1...2).contains(h.format.channels), h.format.sampleRate > 0 else { return false }
        let bytes = try FileIO.read(input)
        guard bytes.count >= h.dataOffset + h.frames * h.format.bytesPerFrame else { return false }
        let inCh = h.format.channels
        let n = h.frames
        // mono float samples (stereo input is averaged only when the output is mono)
        var chans = [[Float]](repeating: [Float](repeating: 0, count: n), count: inCh)
        bytes.withUnsafeBytes { raw in
            let base = raw.baseAddress!.advanced(by: h.dataOffset)
            for i in 0..<n {
                for c in 0..<inCh {
                    let v = base.loadUnaligned(fromByteOffset: (i * inCh + c) * 2, as: Int16.self)
                    chans[c][i] = Float(Int16(littleEndian: v))
                }
            }
        }
        let ratio = Double(h.format.sampleRate) / Double(format.sampleRate)
        let outFrames = Int((Double(n) / ratio).rounded())
        var out = WAVHeader.bytes(format: format, frames: outFrames)
        let headerCount = out.count
        out.append(contentsOf: [UInt8](repeating: 0, count: outFrames * format.bytesPerFrame))
        @inline(__always) func sample(_ x: [Float], _ i: Int) -> Float { x[min(max(i, 0), x.count - 1)] }
        out.withUnsafeMutableBytes { raw in
            let base = raw.baseAddress!.advanced(by: headerCount)
            for j in 0..<outFrames {
                let pos = Double(j) * ratio
                let i = Int(pos)
                let t = Float(pos - Double(i))
                for c in 0..<format.channels {
                    let x = chans[min(c, inCh - 1)]
                    guard !x.isEmpty else { continue }
                    let p0 = sample(x, i - 1), p1 = sample(x, i), p2 = sample(x, i + 1), p3 = sample(x, i + 2)
                    let v = p1 + 0.5 * t * (p2 - p0 + t * (2 * p0 - 5 * p1 + 4 * p2 - p3 + t * (3 * (p1 - p2) + p3 - p0)))
                    let s = Int16(max(-32768, min(32767, v.rounded())))
                    base.storeBytes(of: s.littleEndian, toByteOffset: (j * format.channels + c) * 2, as: Int16.self)
                }
            }
        }
        try FileIO.writeAtomically(out, to: output)
        return true
    }
}
