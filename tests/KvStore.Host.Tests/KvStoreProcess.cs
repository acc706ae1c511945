using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace KvStore.Host.Tests;

/// <summary>
/// One run of the built kvstore executable (<c>dotnet kvstore.dll</c>) with its output as lines; killed on
/// dispose if still running.
/// </summary>
internal sealed partial class KvStoreProcess : IDisposable
{
    public const string ReadyLine = "ready to serve client requests";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly SemaphoreSlim _lineAdded = new(0);

    public KvStoreProcess(IEnumerable<string> args, string workingDirectory, IReadOnlyDictionary<string, string>? environment = null)
    {
        // Through env(1) with SIGINT at its default: a test runner started in the background by a shell without job
        // control passes SIGINT on as ignored, and the stop-signal test then measured that, not the member.
        var start = new ProcessStartInfo("env")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        start.ArgumentList.Add("--default-signal=INT");
        start.ArgumentList.Add(DotnetHost());
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "kvstore.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        // Only the variables a test sets reach the member's ETCD_* handling.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("ETCD_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(key);
        }
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }
        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) => Add(e.Data, "stdout: ");
        _process.ErrorDataReceived += (_, e) => Add(e.Data, "");
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Every line so far (stdout lines prefixed "stdout: "; the logs are on stderr).</summary>
    public string Output
    {
        get
        {
            lock (_lines)
            {
                return string.Join('\n', _lines);
            }
        }
    }

    public int Id => _process.Id;

    /// <summary>Waits until a line contains <paramref name="text"/>; false when the process exits or the time is up first.</summary>
    public bool WaitForLine(string text, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? StartTimeout);
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
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || (_process.HasExited && !_lineAdded.Wait(200)))
            {
                return false;
            }
            _lineAdded.Wait(left < TimeSpan.FromMilliseconds(200) ? left : TimeSpan.FromMilliseconds(200));
        }
    }

    /// <summary>Waits for <see cref="ReadyLine"/> and fails the test with the output if it does not come.</summary>
    public void WaitUntilReady()
    {
        Assert.True(WaitForLine(ReadyLine), "kvstore did not get ready:\n" + Output);
    }

    /// <summary>Sends a POSIX signal (SIGTERM, SIGINT) to the process.</summary>
    public void Signal(int signal) => Assert.Equal(0, Kill(_process.Id, signal));

    /// <summary>Waits for the exit and its last output; null when it is still running at <paramref name="timeout"/>.</summary>
    public int? WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            return null;
        }
        _process.WaitForExit(); // drains the redirected streams
        return _process.ExitCode;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit();
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }

    /// <summary>A loopback port free at the time of the call (bound to port 0, then released).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public const int SigInt = 2;
    public const int SigTerm = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    private void Add(string? line, string prefix)
    {
        if (line is null)
        {
            return;
        }
        lock (_lines)
        {
            _lines.Add(prefix + line);
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
