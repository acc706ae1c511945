using System.Collections.Concurrent;
using System.Diagnostics;

namespace KvStore.Crash.Tests;

/// <summary>One run of KvStore.CrashChild (<c>dotnet KvStore.CrashChild.dll</c>) with its stdout as lines.</summary>
internal sealed class CrashChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly BlockingCollection<string> _lines = new();
    private readonly List<string> _all = [];

    public CrashChildProcess(string dataDir, int seed, long count) : this([dataDir, seed.ToString(), count.ToString()])
    {
    }

    /// <summary>Starts the child with these arguments (the WAL mode: <c>wal dir seed count step nth</c>).</summary>
    public CrashChildProcess(IEnumerable<string> args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "KvStore.CrashChild.dll");
        var start = new ProcessStartInfo(Binaries.DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        foreach (string arg in args) start.ArgumentList.Add(arg);
        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) _lines.CompleteAdding();
            else
            {
                lock (_all) _all.Add(e.Data);
                _lines.Add(e.Data);
            }
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null) lock (_all) _all.Add("stderr: " + e.Data);
        };
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Every line printed so far (stderr lines prefixed).</summary>
    public IReadOnlyList<string> Output
    {
        get { lock (_all) return _all.ToList(); }
    }

    /// <summary>The next stdout line, or null at the end of output or when <paramref name="deadline"/> passes.</summary>
    public string? ReadLine(DateTime deadline)
    {
        TimeSpan left = deadline - DateTime.UtcNow;
        if (left < TimeSpan.Zero) left = TimeSpan.Zero;
        try
        {
            return _lines.TryTake(out string? line, left) ? line : null;
        }
        catch (InvalidOperationException)
        {
            return null; // completed and empty
        }
    }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>SIGKILL on Linux: no finalizers, no Dispose, no flush; whatever the kernel has is what survives.</summary>
    public void Kill()
    {
        try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        _process.WaitForExit();
    }

    public bool WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout)) return false;
        _process.WaitForExit(); // drains the redirected streams
        return true;
    }

    public void Dispose()
    {
        if (!_process.HasExited) Kill();
        _process.Dispose();
        _lines.Dispose();
    }
}
