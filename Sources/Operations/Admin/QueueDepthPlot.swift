import BackstopDefaults
import Foundation

/// The status page's plot of queue depth over the last 24 hours, drawn here as SVG so the page
/// needs no script and no asset from anywhere.
struct QueueDepthPlot {
    var samples: [QueueDepthHistory.Sample]
    var now: Date
    var span: TimeInterval = BackstopDefaults.Admin.queueDepthSpan / .seconds(1)
    var width = 720.0
    var height = 220.0
    /// At most this many points are drawn, each the highest depth of its slice of time.
    var slices = 288

    private let left = 52.0, right = 12.0, top = 12.0, bottom = 28.0

    var svg: String {
        let plotWidth = width - left - right
        let plotHeight = height - top - bottom
        let points = downsampled()
        let peak = Self.niceCeiling(points.map(\.messages).max() ?? 0)
        func x(_ date: Date) -> Double { left + plotWidth * (1 - min(span, max(0, now.timeIntervalSince(date))) / span) }
        func y(_ messages: Int) -> Double { top + plotHeight * (1 - Double(messages) / Double(peak)) }

        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(Int(width)) \(Int(height))" width="\(Int(width))" \
            height="\(Int(height))" role="img" aria-label="Messages in the queue over the last 24 hours, at most \(peak)">
            <rect x="\(left)" y="\(top)" width="\(plotWidth)" height="\(plotHeight)" class="plot-bg"/>

            """
        for step in 0...4 {
            let value = peak * step / 4
            let lineY = y(value)
            svg += "<line x1=\"\(left)\" x2=\"\(left + plotWidth)\" y1=\"\(f(lineY))\" y2=\"\(f(lineY))\" class=\"grid\"/>"
            svg += "<text x=\"\(left - 6)\" y=\"\(f(lineY + 4))\" text-anchor=\"end\" class=\"tick\">\(value)</text>\n"
        }
        for hoursAgo in stride(from: 24, through: 0, by: -6) {
            let lineX = x(now.addingTimeInterval(-Double(hoursAgo) * 3600))
            let label = hoursAgo == 0 ? "now" : "-\(hoursAgo)h"
            svg += "<line x1=\"\(f(lineX))\" x2=\"\(f(lineX))\" y1=\"\(top)\" y2=\"\(top + plotHeight)\" class=\"grid\"/>"
            svg += "<text x=\"\(f(lineX))\" y=\"\(f(height - 8))\" text-anchor=\"middle\" class=\"tick\">\(label)</text>\n"
        }
        if points.isEmpty {
            svg += "<text x=\"\(f(left + plotWidth / 2))\" y=\"\(f(top + plotHeight / 2))\" text-anchor=\"middle\" class=\"tick\">no samples yet</text>\n"
        } else {
            // A step line: the depth holds until the next sample.
            var line = "M\(f(x(points[0].at))),\(f(y(points[0].messages)))"
            for point in points.dropFirst() {
                line += " H\(f(x(point.at))) V\(f(y(point.messages)))"
            }
            line += " H\(f(x(now)))"
            let area = line + " V\(f(y(0))) H\(f(x(points[0].at))) Z"
            svg += "<path d=\"\(area)\" class=\"area\"/>\n<path d=\"\(line)\" class=\"line\"/>\n"
            if let last = points.last {
                svg += "<circle cx=\"\(f(x(now)))\" cy=\"\(f(y(last.messages)))\" r=\"3.5\" class=\"dot\"/>\n"
            }
        }
        return svg + "</svg>"
    }

    /// The highest depth of each slice of the span, so a short peak is never averaged away.
    func downsampled() -> [QueueDepthHistory.Sample] {
        let sliceLength = span / Double(slices)
        var peaks: [Int: QueueDepthHistory.Sample] = [:]
        for sample in samples where now.timeIntervalSince(sample.at) <= span {
            let slice = Int((span - now.timeIntervalSince(sample.at)) / sliceLength)
            if let kept = peaks[slice], kept.messages >= sample.messages { continue }
            peaks[slice] = sample
        }
        return peaks.keys.sorted().compactMap { peaks[$0] }
    }

    /// Four grid steps of 1, 2 or 5 times a power of ten, together at least `value`.
    static func niceCeiling(_ value: Int) -> Int {
        var magnitude = 1
        while true {
            for factor in [1, 2, 5] where 4 * factor * magnitude >= value {
                return 4 * factor * magnitude
            }
            magnitude *= 10
        }
    }

    private func f(_ value: Double) -> String {
        String(format: "%.1f", value)
    }
}
