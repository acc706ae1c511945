using System.Globalization;
using System.Runtime.InteropServices;

namespace KvStore.Bench;

/// <summary>CPU time the server processes have used so far: utime + stime from /proc/PID/stat, summed.</summary>
internal static partial class ServerCpu
{
    private const int ScClkTck = 2; // _SC_CLK_TCK on Linux

    private static readonly double TicksPerSecond = Sysconf(ScClkTck);

    public static double Seconds(IEnumerable<int> pids) => pids.Sum(pid => Ticks(File.ReadAllText($"/proc/{pid}/stat"))) / TicksPerSecond;

    /// <summary>utime and stime are fields 14 and 15; the command name (field 2, in parentheses) may hold spaces.</summary>
    internal static long Ticks(string stat)
    {
        string[] after = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // after[0] is field 3 (state), so field n is after[n - 3]
        return long.Parse(after[11], CultureInfo.InvariantCulture) + long.Parse(after[12], CultureInfo.InvariantCulture);
    }

    /// <summary>The 1-minute load average now (the machine is shared: a run's numbers are read beside it).</summary>
    public static double LoadAverage() =>
        double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);

    [LibraryImport("libc", EntryPoint = "sysconf")]
    private static partial long Sysconf(int name);
}
