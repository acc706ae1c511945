using System.Diagnostics;

namespace KvStore.Etcdctl.Tests;

/// <summary>Runs the real etcdctl 3.4 (ETCDCTL_API=3); a test using it fails when etcdctl is not installed.</summary>
public static class Ctl
{
    public sealed record Result(int Exit, string Out, string Err)
    {
        public override string ToString() => $"exit {Exit}\n{Out}\n[stderr] {Err}";
    }

    private static ProcessStartInfo StartInfo(string endpoint, IEnumerable<string> args, bool stdin)
    {
        var psi = new ProcessStartInfo("etcdctl")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin,
            UseShellExecute = false,
        };
        psi.Environment["ETCDCTL_API"] = "3";
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("ETCDCTL_", StringComparison.Ordinal) && k != "ETCDCTL_API").ToList())
        {
            psi.Environment.Remove(key);
        }
        psi.ArgumentList.Add("--endpoints=" + endpoint);
        psi.ArgumentList.Add("--command-timeout=20s");
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        return psi;
    }

    /// <summary>Runs etcdctl to its end (killed after <paramref name="seconds"/>), feeding <paramref name="input"/> on stdin if given.</summary>
    public static async Task<Result> RunAsync(string endpoint, IEnumerable<string> args, string? input = null, int seconds = 60)
    {
        var (exit, output, error) = await Task.Run(() => KvStore.TestSupport.Etcdctl.Run(endpoint, args, input, TimeSpan.FromSeconds(seconds)));
        return new Result(exit, output, error);
    }

    public static Task<Result> RunAsync(string endpoint, params string[] args) => RunAsync(endpoint, args, null);

    /// <summary>Starts a long-running etcdctl (watch, lease keep-alive, make-mirror); dispose to kill it.</summary>
    public static Running Start(string endpoint, IEnumerable<string> args, bool stdin = false) =>
        new(Process.Start(StartInfo(endpoint, args, stdin))!);

    public sealed class Running : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly List<string> _lines = [];
        private readonly Task _stdout;
        private readonly Task<string> _stderr;

        public Running(Process process)
        {
            _process = process;
            _stderr = process.StandardError.ReadToEndAsync();
            _stdout = Task.Run(async () =>
            {
                while (await process.StandardOutput.ReadLineAsync() is { } line)
                {
                    lock (_lines)
                    {
                        _lines.Add(line);
                    }
                }
            });
        }

        public StreamWriter Input => _process.StandardInput;

        public bool HasExited => _process.HasExited;

        public List<string> Lines
        {
            get
            {
                lock (_lines)
                {
                    return [.. _lines];
                }
            }
        }

        /// <summary>Waits until at least <paramref name="count"/> lines were printed and no more came for 700 ms (at most <paramref name="seconds"/> s), then returns all of them.</summary>
        public async Task<List<string>> WaitLinesAsync(int count, int seconds = 10)
        {
            var deadline = DateTime.UtcNow.AddSeconds(seconds);
            var last = -1;
            var quietSince = DateTime.UtcNow;
            while (DateTime.UtcNow < deadline && !_process.HasExited)
            {
                var n = Lines.Count;
                if (n != last)
                {
                    last = n;
                    quietSince = DateTime.UtcNow;
                }
                else if (n >= count && DateTime.UtcNow - quietSince > TimeSpan.FromMilliseconds(700))
                {
                    break;
                }
                await Task.Delay(50);
            }
            return Lines;
        }

        /// <summary>Kills it and returns everything it printed on stdout and stderr.</summary>
        public async Task<(List<string> Out, string Err)> StopAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
            await _process.WaitForExitAsync();
            await _stdout;
            return (Lines, await _stderr);
        }

        public async ValueTask DisposeAsync()
        {
            await StopAsync();
            _process.Dispose();
        }
    }
}
