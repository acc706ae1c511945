namespace KvStore.ApiServer.Tests.Http;

/// <summary>The machine's kubectl against one server, with its own HOME (no cached discovery, no kubeconfig).</summary>
internal sealed class Kubectl : IDisposable
{
    private readonly string _home = Directory.CreateTempSubdirectory("kubectl-home-").FullName;

    public Kubectl(string serverUrl) => Server = serverUrl;

    public string Server { get; }

    /// <summary>kubectl's HOME, a fresh directory removed on dispose (a place for manifests too).</summary>
    public string Home => _home;

    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string> { ["HOME"] = _home, ["KUBECONFIG"] = KubeconfigPath };

    /// <summary>The kubeconfig kubectl reads (none unless <see cref="WriteKubeconfig"/> wrote it); --server still wins.</summary>
    public string KubeconfigPath => Path.Combine(_home, "kubeconfig");

    /// <summary>Writes the kubeconfig (credentials, certificate authority) the following commands use.</summary>
    public void WriteKubeconfig(string yaml) => File.WriteAllText(KubeconfigPath, yaml);

    public (int Code, string Out, string Err) Run(string commandLine, string? stdin = null) => Run(Split(commandLine), stdin);

    public (int Code, string Out, string Err) Run(IEnumerable<string> args, string? stdin = null) =>
        ChildProcess.Run("kubectl", ["--server", Server, .. args], stdin, Environment);

    /// <summary>Runs and asserts success; stdout.</summary>
    public string Ok(string commandLine, string? stdin = null)
    {
        var (code, output, error) = Run(commandLine, stdin);
        Assert.True(code == 0, $"kubectl {commandLine} failed ({code}):\n{error}\n{output}");
        return output;
    }

    /// <summary>Runs and asserts failure; stderr.</summary>
    public string Fails(string commandLine, string? stdin = null)
    {
        var (code, output, error) = Run(commandLine, stdin);
        Assert.True(code != 0, $"kubectl {commandLine} should have failed:\n{output}");
        return error;
    }

    /// <summary>Runs <paramref name="args"/> as given (no splitting) and asserts success; stdout.</summary>
    public string OkArgs(params string[] args) => OkWithInput(null, args);

    /// <summary>Runs <paramref name="args"/> with <paramref name="stdin"/> (e.g. `apply -f -`) and asserts success; stdout.</summary>
    public string OkWithInput(string? stdin, params string[] args)
    {
        var (code, output, error) = Run(args, stdin);
        Assert.True(code == 0, $"kubectl {string.Join(' ', args)} failed ({code}):\n{error}\n{output}");
        return output;
    }

    /// <summary>Runs <paramref name="args"/> with <paramref name="stdin"/> and asserts failure; stderr.</summary>
    public string FailsWithInput(string? stdin, params string[] args)
    {
        var (code, output, error) = Run(args, stdin);
        Assert.True(code != 0, $"kubectl {string.Join(' ', args)} should have failed:\n{output}");
        return error;
    }

    /// <summary>`kubectl get -w` and similar: a child to read from and kill.</summary>
    public ChildProcess Start(string commandLine) =>
        new("kubectl", ["--server", Server, .. Split(commandLine)], Environment);

    private static string[] Split(string commandLine) => commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_home, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
