using System.Diagnostics;

namespace KvStore.Host.Tests;

/// <summary>Runs etcdctl 3.4 (ETCDCTL_API=3) against an endpoint; tools/test.sh installs it.</summary>
internal static class Etcdctl
{
    public static async Task<string> RunAsync(string endpoint, params string[] args)
    {
        var start = new ProcessStartInfo("etcdctl")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["ETCDCTL_API"] = "3";
        start.ArgumentList.Add("--endpoints=" + endpoint);
        start.ArgumentList.Add("--command-timeout=20s");
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var error = process.StandardError.ReadToEndAsync(timeout.Token);
            await process.WaitForExitAsync(timeout.Token);
            Assert.True(process.ExitCode == 0, $"etcdctl {string.Join(' ', args)} exited {process.ExitCode}: {await error}");
            return (await output) + (await error);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }
}
