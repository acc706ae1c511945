using System.Diagnostics;
using System.Runtime.InteropServices;

namespace KvStore.Cluster.Tests;

/// <summary>
/// One run of the built kvstore executable (<c>dotnet kvstore.dll</c>) with its output kept as lines; killed on
/// dispose if still running. A member that is restarted is a new <see cref="MemberProcess"/> on the same data dir.
/// </summary>
internal sealed partial class MemberProcess : IDisposable
{
    public const string ReadyLine = "ready to serve client requests";

    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly SemaphoreSlim _lineAdded = new(0);

    public MemberProcess(IEnumerable<string> args, string workingDirectory)
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "kvstore.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("ETCD_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(key);
        }
        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) => Add(e.Data);
        _process.ErrorDataReceived += (_, e) => Add(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The last <paramref name="count"/> lines (the logs are on stderr).</summary>
    public string Tail(int count = 40)
    {
        lock (_lines)
        {
            return string.Join('\n', _lines.Skip(Math.Max(0, _lines.Count - count)));
        }
    }

    /// <summary>Waits until a line contains <paramref name="text"/>; false when the process exits or the time is up first.</summary>
    public async Task<bool> WaitForLineAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var seen = 0;
        while (true)
        {
            lock (_lines)
            {
                for (; seen < _lines.Count; seen++)
                {
                    if (_lines[seen].Contains(text, StringComparison.Ordinal))
                    {
                        return true;
                    }
                }
            }
            if (DateTime.UtcNow > deadline || _process.HasExited && !await _lineAdded.WaitAsync(200))
            {
                return false;
            }
            await _lineAdded.WaitAsync(200);
        }
    }

    /// <summary>Sends a POSIX signal (SIGKILL, SIGSTOP, SIGCONT, SIGTERM) to the process.</summary>
    public void Signal(int signal)
    {
        if (Kill(_process.Id, signal) != 0 && !_process.HasExited)
        {
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>SIGKILL, then waits for the exit (a crash: nothing is flushed or closed).</summary>
    public void KillHard()
    {
        Signal(SigKill);
        _process.WaitForExit();
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                Signal(SigCont); // a stopped process would not die of SIGKILL until continued on some kernels' ptrace paths
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit();
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }

    public const int SigKill = 9;
    public const int SigTerm = 15;
    public const int SigCont = 18;
    public const int SigStop = 19;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    private void Add(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_lines)
        {
            _lines.Add(line);
        }
        _lineAdded.Release();
    }

    private static string DotnetHost()
    {
        // Set by the SDK for the processes it starts (dotnet test); else the muxer on PATH.
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        return !string.IsNullOrEmpty(host) && File.Exists(host) ? host : "dotnet";
    }
}
