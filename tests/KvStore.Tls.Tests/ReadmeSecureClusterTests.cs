using System.Text.RegularExpressions;

namespace KvStore.Tls.Tests;

/// <summary>
/// The README's "Secure cluster" commands, run as written with bash in an empty directory: its second sh block
/// (the first builds and names the command; here <c>$KVSTORE</c> is the kvstore built next to the tests), its six
/// fixed ports swapped for free ones. The members must be gone when the script ends (its last line stops them).
/// </summary>
public sealed partial class ReadmeSecureClusterTests
{
    [Fact]
    public void The_secure_cluster_commands_work_as_written()
    {
        string[] blocks = ShBlocks(Section(File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md")), "## Secure cluster"));
        Assert.True(blocks.Length >= 2, "the section has the build block and the commands block");
        Assert.Contains("KVSTORE=", blocks[0]);
        string script = blocks[1];
        var ports = new List<int>();
        foreach (string port in new[] { "12379", "12380", "13379", "13380", "14379", "14380" })
        {
            Assert.Contains(port, script);
            ports.Add(Ports.Free());
            script = script.Replace(port, ports[^1].ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        }
        string dir = Path.Combine(Path.GetTempPath(), "kvstore-tests-readme-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            // members still running when a command fails are stopped on the way out
            string prelude = $"set -e\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\nKVSTORE=\"{Binaries.DotnetHost()} {Binaries.KvStoreDll}\"\n";
            File.WriteAllText(Path.Combine(dir, "secure.sh"), prelude + script);
            var (code, output, error) = ChildProcess.Run("bash", ["secure.sh"], timeout: TimeSpan.FromMinutes(4), workingDirectory: dir);
            string all = output + error;
            Assert.True(code == 0, $"exit {code}\n{all}");
            Assert.Contains("OK", output);
            Assert.Contains("greeting\nhello", output);
            Assert.Equal(3, Regex.Matches(output, @"\| https://127\.0\.0\.1:\d+ \|").Count); // endpoint status rows
            Assert.Contains("\"health\":\"true\"", output);
            Assert.Contains("refused", output);
            Assert.Contains("User root created", output);
            Assert.Contains("Authentication Enabled", output);
            Assert.EndsWith("root", output.TrimEnd());
            // the last line stopped the members and waited for them: their ports are free again
            foreach (int port in ports) Assert.True(Released(port), $"port {port} still in use after the script");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Whether <paramref name="port"/> can be bound on 127.0.0.1 within 20 s (a stopping member takes a moment).</summary>
    private static bool Released(int port)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
                listener.Start();
                return true;
            }
            catch (System.Net.Sockets.SocketException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(200);
            }
            catch (System.Net.Sockets.SocketException)
            {
                return false;
            }
        }
    }

    /// <summary>The text from <paramref name="heading"/> to the next heading of its level.</summary>
    private static string Section(string readme, string heading)
    {
        int start = readme.IndexOf(heading + "\n", StringComparison.Ordinal);
        Assert.True(start >= 0, heading + " not found");
        int end = readme.IndexOf("\n## ", start + heading.Length, StringComparison.Ordinal);
        return end < 0 ? readme[start..] : readme[start..end];
    }

    private static string[] ShBlocks(string text) => ShBlock().Matches(text).Select(m => m.Groups[1].Value).ToArray();

    [GeneratedRegex(@"```sh\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex ShBlock();

    private static string RepositoryRoot()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "KvStore.sln"))) return d.FullName;
        }
        throw new InvalidOperationException("repository root not found");
    }
}
