using System.Diagnostics;

namespace KvStore.TestSupport;

/// <summary>
/// The real etcdctl 3.4 (apt etcd-client) with the v3 API; a test using it fails when it is not installed. Every
/// call gets --command-timeout=20s first (etcdctl's 5 s default is short on a busy two-core machine); a later
/// --command-timeout in the arguments wins.
/// </summary>
public static class Etcdctl
{
    /// <summary>etcdctl --endpoints=<paramref name="endpoints"/> args..., to its end (killed after <paramref name="timeout"/>, 90 s by default).</summary>
    public static (int Exit, string Out, string Err) Run(string endpoints, IEnumerable<string> args, string? stdin = null, TimeSpan? timeout = null) =>
        ChildProcess.Run("etcdctl", ["--endpoints=" + endpoints, "--command-timeout=20s", .. args], stdin, Environment, timeout);

    public static Task<(int Exit, string Out, string Err)> RunAsync(string endpoints, params string[] args) => Task.Run(() => Run(endpoints, args));

    /// <summary>Starts a long-running etcdctl (lock, elect, watch) whose stdout is read line by line; dispose it to stop it.</summary>
    public static Running Start(string endpoints, params string[] args)
    {
        var start = new ProcessStartInfo("etcdctl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string key in start.Environment.Keys.Where(k => k.StartsWith("ETCD", StringComparison.Ordinal)).ToList()) start.Environment.Remove(key);
        foreach ((string key, string value) in Environment) start.Environment[key] = value;
        foreach (string arg in (string[])["--endpoints=" + endpoints, "--command-timeout=20s", .. args]) start.ArgumentList.Add(arg);
        return new Running(Process.Start(start)!);
    }

    private static readonly Dictionary<string, string> Environment = new() { ["ETCDCTL_API"] = "3" };

    public sealed class Running(Process process) : IAsyncDisposable
    {
        private readonly Task<string> _stderr = process.StandardError.ReadToEndAsync();

        public Process Process => process;

        /// <summary>The next line it prints on stdout, within 20 s.</summary>
        public async Task<string> ReadLineAsync()
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            return await process.StandardOutput.ReadLineAsync(timeout.Token).ConfigureAwait(false)
                ?? throw new EndOfStreamException("etcdctl ended: " + await _stderr.ConfigureAwait(false));
        }

        /// <summary>SIGINT, as Ctrl-C: etcdctl lock unlocks and etcdctl elect resigns before exiting. Returns the exit code.</summary>
        public async Task<int> InterruptAsync()
        {
            using (Process kill = Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!)
            {
                await kill.WaitForExitAsync().ConfigureAwait(false);
            }
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            return process.ExitCode;
        }

        /// <summary>True when it is still running after <paramref name="ms"/> milliseconds.</summary>
        public async Task<bool> StillRunningAfterAsync(int ms = 1000)
        {
            using var wait = new CancellationTokenSource(ms);
            await process.WaitForExitAsync(wait.Token).ContinueWith(static _ => { }, TaskScheduler.Default).ConfigureAwait(false);
            return !process.HasExited;
        }

        public async ValueTask DisposeAsync()
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync().ConfigureAwait(false);
            process.Dispose();
        }
    }
}
