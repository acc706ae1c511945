using System.Diagnostics;

namespace KvStore.Grpc.Tests;

/// <summary>Runs the real etcdctl 3.4 (ETCDCTL_API=3) against an endpoint; a test using it fails when etcdctl is not installed.</summary>
public static class Etcdctl
{
    private static ProcessStartInfo StartInfo(string endpoint, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo("etcdctl") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment["ETCDCTL_API"] = "3";
        psi.ArgumentList.Add("--endpoints=" + endpoint);
        psi.ArgumentList.Add("--command-timeout=20s");
        foreach (string a in args) psi.ArgumentList.Add(a);
        return psi;
    }

    /// <summary>Runs etcdctl to its end (killed after 60 s).</summary>
    public static async Task<(int Exit, string Out, string Err)> RunAsync(string endpoint, params string[] args)
    {
        using Process p = Process.Start(StartInfo(endpoint, args))!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await p.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw;
        }
        return (p.ExitCode, await stdout, await stderr);
    }

    /// <summary>Starts a long-running etcdctl (lock, elect, watch); dispose the result to stop it.</summary>
    public static Running Start(string endpoint, params string[] args) => new(Process.Start(StartInfo(endpoint, args))!);

    public sealed class Running(Process process) : IAsyncDisposable
    {
        private readonly Task<string> _stderr = process.StandardError.ReadToEndAsync();

        public Process Process => process;

        /// <summary>The next line it prints, within 20 s.</summary>
        public async Task<string> ReadLineAsync()
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            return await process.StandardOutput.ReadLineAsync(timeout.Token)
                ?? throw new EndOfStreamException("etcdctl ended: " + await _stderr);
        }

        /// <summary>SIGINT, as Ctrl-C: etcdctl lock unlocks and etcdctl elect resigns before exiting. Returns the exit code.</summary>
        public async Task<int> InterruptAsync()
        {
            using (Process kill = Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!)
            {
                await kill.WaitForExitAsync();
            }
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await process.WaitForExitAsync(timeout.Token);
            return process.ExitCode;
        }

        /// <summary>Fails unless it is still running after <paramref name="ms"/> milliseconds.</summary>
        public async Task AssertRunningAsync(int ms = 1000)
        {
            using var wait = new CancellationTokenSource(ms);
            await process.WaitForExitAsync(wait.Token).ContinueWith(static _ => { }, TaskScheduler.Default);
            Assert.False(process.HasExited, "etcdctl should still be waiting");
        }

        public async ValueTask DisposeAsync()
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            process.Dispose();
        }
    }
}
