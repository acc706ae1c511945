using ScottPlot;

namespace KvStore.Bench;

/// <summary>A PNG bar chart of kvstore/etcd requests/s: one group per workload, one bar per topology, a line at 1.0x.</summary>
internal static class RatioChart
{
    private static readonly Color[] TopologyColors = [Colors.SteelBlue, Colors.DarkOrange, Colors.SeaGreen, Colors.Purple];

    public static void Save(IReadOnlyList<Comparison> comparisons, string path)
    {
        Comparison[] withRatio = [.. comparisons.Where(c => c.Ratio is not null)];
        Workload[] workloads = [.. Workload.All.Where(w => withRatio.Any(c => c.Workload == w))];
        int[] topologies = [.. withRatio.Select(c => c.Members).Distinct().Order()];
        double width = 0.8 / Math.Max(1, topologies.Length);

        var plot = new Plot();
        var bars = new List<Bar>();
        for (int t = 0; t < topologies.Length; t++)
        {
            Color color = TopologyColors[t % TopologyColors.Length];
            foreach (Comparison c in withRatio.Where(c => c.Members == topologies[t]))
            {
                double position = Array.IndexOf(workloads, c.Workload) + (t - (topologies.Length - 1) / 2.0) * width;
                bars.Add(new Bar { Position = position, Value = c.Ratio!.Value, Size = width * 0.9, FillColor = color, Label = $"{c.Ratio:0.00}" });
            }
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = $"{topologies[t]} member(s)", FillColor = color });
        }
        var barPlot = plot.Add.Bars(bars);
        barPlot.ValueLabelStyle.FontSize = 10;
        var parity = plot.Add.HorizontalLine(1.0);
        parity.LinePattern = LinePattern.Dashed;
        parity.Color = Colors.Gray;

        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            [.. workloads.Select((_, i) => (double)i)], [.. workloads.Select(w => w.Name)]);
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.Axes.Margins(bottom: 0);
        plot.Title("kvstore / etcd requests per second (above 1: kvstore faster)");
        plot.YLabel("kvstore / etcd");
        plot.ShowLegend(Alignment.UpperRight);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        plot.SavePng(path, 1200, 600);
    }
}
