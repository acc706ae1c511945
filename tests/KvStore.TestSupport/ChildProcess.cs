using System.Diagnostics;
using System.Runtime.InteropServices;

namespace KvStore.TestSupport;

/// <summary>
/// A child process (kvstore, etcd, `kubectl get -w`, `etcdctl watch`...) with stdout and stderr collected as lines
/// in the order they arrive; killed with its tree on dispose if still running. The test's own ETCD_* and ETCDCTL_*
/// variables are not passed on (etcd, kvstore and etcdctl would read them as flags).
/// </summary>
public sealed partial class ChildProcess : IDisposable
{
    public const int SigKill = 9;
    public const int SigTerm = 15;
    public const int SigCont = 18;
    public const int SigStop = 19;

    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly SemaphoreSlim _lineAdded = new(0);
    private bool _disposed;

    /// <summary>Children not yet disposed: killed when this process exits (SIGTERM, Ctrl-C, a test host's timeout), so none outlive it.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<ChildProcess, byte> Live = new();

    static ChildProcess()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (ChildProcess child in Live.Keys) child.Dispose();
        };
        // Ctrl-C: end the process normally (ProcessExit runs) instead of being torn down
        Console.CancelKeyPress += (_, _) => Environment.Exit(130);
    }

    public ChildProcess(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null,
        string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (workingDirectory is not null) start.WorkingDirectory = workingDirectory;
        foreach (string arg in args) start.ArgumentList.Add(arg);
        RemoveEtcdVariables(start);
        foreach ((string key, string value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;
        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) => Add(e.Data);
        _process.ErrorDataReceived += (_, e) => Add(e.Data);
        _process.Start();
        Live[this] = 0;
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>The kvstore built next to the tests: <c>dotnet kvstore.dll args</c>.</summary>
    public static ChildProcess KvStore(IEnumerable<string> args, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null) =>
        new(Binaries.DotnetHost(), [Binaries.KvStoreDll, .. args], environment, workingDirectory);

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Everything printed so far, one line per line.</summary>
    public string Output
    {
        get
        {
            lock (_lines) return string.Join('\n', _lines);
        }
    }

    /// <summary>The last <paramref name="count"/> lines.</summary>
    public string Tail(int count = 40)
    {
        lock (_lines) return string.Join('\n', _lines.Skip(Math.Max(0, _lines.Count - count)));
    }

    /// <summary>Blocks until a line contains <paramref name="text"/>; false when the process ends or the time is up first.</summary>
    public bool WaitFor(string text, TimeSpan timeout) => WaitForLineAsync(text, timeout).GetAwaiter().GetResult();

    /// <summary>Waits until a line contains <paramref name="text"/>; false when the process ends or the time is up first.</summary>
    public async Task<bool> WaitForLineAsync(string text, TimeSpan timeout)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        int seen = 0;
        while (true)
        {
            lock (_lines)
            {
                for (; seen < _lines.Count; seen++)
                {
                    if (_lines[seen].Contains(text, StringComparison.Ordinal)) return true;
                }
            }
            if (DateTime.UtcNow > deadline) return false;
            if (_process.HasExited)
            {
                // the exit may come before the last lines are read: drain them, then look once more
                _process.WaitForExit();
                lock (_lines) return _lines.Skip(seen).Any(l => l.Contains(text, StringComparison.Ordinal));
            }
            await _lineAdded.WaitAsync(200).ConfigureAwait(false);
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

    /// <summary>SIGKILL, then waits for the exit (a crash: nothing is flushed or closed); nothing once disposed.</summary>
    public void KillHard()
    {
        if (_disposed) return;
        if (!_process.HasExited) Signal(SigKill);
        _process.WaitForExit();
    }

    /// <summary>Waits for the exit (and the last of the output); false when the time is up first.</summary>
    public bool WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout)) return false;
        _process.WaitForExit();
        return true;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Live.TryRemove(this, out _);
        try
        {
            if (!_process.HasExited)
            {
                Signal(SigCont); // a stopped process is continued first so that it dies at once
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit();
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }

    /// <summary>Runs a command to its end: exit code, stdout, stderr (-1 and "(timed out)" when killed at the timeout).</summary>
    public static (int Code, string Out, string Err) Run(string file, IEnumerable<string> args, string? stdin = null,
        IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (workingDirectory is not null) start.WorkingDirectory = workingDirectory;
        foreach (string arg in args) start.ArgumentList.Add(arg);
        RemoveEtcdVariables(start);
        foreach ((string key, string value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;
        using var process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null) process.StandardInput.Write(stdin);
        process.StandardInput.Close();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromSeconds(90)))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return (-1, stdout.Result, stderr.Result + "\n(timed out)");
        }
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>The test's own ETCD_* and ETCDCTL_* variables would be read as flags by etcd, kvstore and etcdctl.</summary>
    private static void RemoveEtcdVariables(ProcessStartInfo start)
    {
        foreach (string key in start.Environment.Keys.Where(k => k.StartsWith("ETCD", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(key);
        }
    }

    private void Add(string? line)
    {
        if (line is null) return;
        lock (_lines) _lines.Add(line);
        _lineAdded.Release();
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
