using System.Text.RegularExpressions;

namespace KvStore.ApiServer.Tests.Http;

/// <summary>
/// The README's kubectl walk-through, run as written against a fresh member: each line of its shell block through bash
/// (the app.yaml heredoc as one command) in one directory with its own HOME, the server URL and etcdctl's endpoint being
/// this member's. Every "# comment" lists, separated by ", ", what the command's output must contain (runs of spaces
/// count as one); a command whose comment does not start with an error must succeed.
/// </summary>
public sealed partial class ReadmeWalkthroughTests : IClassFixture<MemberFixture>, IDisposable
{
    private const string DocumentedServer = "http://127.0.0.1:8080";

    private readonly MemberFixture _member;
    private readonly string _dir = Directory.CreateTempSubdirectory("readme-walkthrough-").FullName;

    public ReadmeWalkthroughTests(MemberFixture member) => _member = member;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [GeneratedRegex(@"^(?<command>.*?\S)\s{2,}#\s(?<expected>.*)$")]
    private static partial Regex CommentedLine();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();

    /// <summary>The shell block that follows "A kubectl walk-through" in the repository's README.md, as commands with their comments.</summary>
    private static List<(string Command, string? Expected)> Walkthrough()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "KvStore.sln"))) dir = dir.Parent;
        var readme = File.ReadAllLines(Path.Combine(dir!.FullName, "README.md"));
        var at = Array.FindIndex(readme, l => l.StartsWith("A kubectl walk-through", StringComparison.Ordinal));
        var start = Array.FindIndex(readme, at, l => l == "```sh") + 1;
        var end = Array.FindIndex(readme, start, l => l == "```");
        var commands = new List<(string, string?)>();
        for (int i = start; i < end; i++)
        {
            var line = readme[i];
            if (line.Contains("<<'EOF'", StringComparison.Ordinal))
            {
                var close = Array.FindIndex(readme, i, l => l == "EOF");
                commands.Add((string.Join('\n', readme[i..(close + 1)]), null));
                i = close;
                continue;
            }
            var match = CommentedLine().Match(line);
            commands.Add(match.Success ? (match.Groups["command"].Value, match.Groups["expected"].Value) : (line, null));
        }
        return commands;
    }

    [Fact]
    public void TheReadmesKubectlWalkthroughRunsAsWritten()
    {
        var commands = Walkthrough();
        Assert.True(commands.Count > 15, $"found {commands.Count} lines in the README's walk-through");
        var environment = new Dictionary<string, string>
        {
            ["HOME"] = _dir,
            ["KUBECONFIG"] = Path.Combine(_dir, ".kube", "config"),
            ["ETCDCTL_API"] = "3",
            ["ETCDCTL_ENDPOINTS"] = _member.ClientUrl,
        };
        foreach (var (command, expected) in commands)
        {
            var line = command.Replace(DocumentedServer, _member.Url, StringComparison.Ordinal);
            var (code, output, error) = ChildProcess.Run("bash", ["-c", $"cd '{_dir}' && {line}"], environment: environment);
            var printed = Spaces().Replace(output + "\n" + error, " ");
            var fails = expected is not null && (expected.StartsWith("Error", StringComparison.Ordinal) || expected.StartsWith("error:", StringComparison.Ordinal));
            Assert.True(fails || code == 0, $"{command}\nexited {code}:\n{output}\n{error}");
            foreach (var part in (expected ?? "").Split(", ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                Assert.True(printed.Contains(Spaces().Replace(part, " "), StringComparison.Ordinal), $"{command}\nshould print \"{part}\", printed:\n{output}\n{error}");
            }
        }
    }
}
