using System.Globalization;
using KvStore.Robustness.Checkers;
using KvStore.Robustness.History;

namespace KvStore.Robustness.Harness;

/// <summary>What the tool's command line needs beyond System.CommandLine: durations as etcd writes them, the check's exit code.</summary>
public static class ToolArguments
{
    /// <summary>"90s", "5m", "1h", "1500ms" or plain seconds.</summary>
    public static TimeSpan Duration(string text)
    {
        (string number, Func<double, TimeSpan> unit) = text switch
        {
            _ when text.EndsWith("ms", StringComparison.Ordinal) => (text[..^2], TimeSpan.FromMilliseconds),
            _ when text.EndsWith('s') => (text[..^1], TimeSpan.FromSeconds),
            _ when text.EndsWith('m') => (text[..^1], TimeSpan.FromMinutes),
            _ when text.EndsWith('h') => (text[..^1], TimeSpan.FromHours),
            _ => (text, (Func<double, TimeSpan>)TimeSpan.FromSeconds),
        };
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || value <= 0)
        {
            throw new ArgumentException($"invalid duration \"{text}\" (e.g. 60s, 5m)");
        }
        return unit(value);
    }

    /// <summary>Runs every checker on the history and prints their report: 0 when it holds, 1 on a violation or a member that did not recover from a fault.</summary>
    public static int Check(RecordedHistory history, TextWriter output)
    {
        CheckReport report = Checks.Run(history);
        output.WriteLine(report.ToString());
        var failed = history.Faults.Where(f => f.Detail?.StartsWith(FailedFault, StringComparison.Ordinal) == true).ToList();
        foreach (FaultRecord f in failed) output.WriteLine($"fault {f.Kind}: {f.Detail}");
        return report.Ok && failed.Count == 0 ? 0 : 1;
    }

    /// <summary>How a <see cref="FaultRecord.Detail"/> starts when the fault's member did not serve again.</summary>
    public const string FailedFault = "FAILED: ";
}
