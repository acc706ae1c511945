namespace KvStore.Host.Tests;

/// <summary>
/// One run of the built kvstore executable (<c>dotnet kvstore.dll</c>) with its output as lines; killed on
/// dispose if still running.
/// </summary>
internal sealed class KvStoreProcess : IDisposable
{
    public const string ReadyLine = SingleMember.ReadyLine;
    public const int SigInt = 2;
    public const int SigTerm = ChildProcess.SigTerm;

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly ChildProcess _process;

    // Through env(1) with SIGINT at its default: a test runner started in the background by a shell without job
    // control passes SIGINT on as ignored, and the stop-signal test then measured that, not the member.
    // Only the ETCD_* variables a test sets reach the member.
    public KvStoreProcess(IEnumerable<string> args, string workingDirectory, IReadOnlyDictionary<string, string>? environment = null) =>
        _process = new ChildProcess("env", ["--default-signal=INT", Binaries.DotnetHost(), Binaries.KvStoreDll, .. args], environment, workingDirectory);

    /// <summary>Every line so far (stdout and stderr; the logs are on stderr).</summary>
    public string Output => _process.Output;

    public int Id => _process.Id;

    /// <summary>Waits until a line contains <paramref name="text"/>; false when the process exits or the time is up first.</summary>
    public bool WaitForLine(string text, TimeSpan? timeout = null) => _process.WaitFor(text, timeout ?? StartTimeout);

    /// <summary>Waits for <see cref="ReadyLine"/> and fails the test with the output if it does not come.</summary>
    public void WaitUntilReady()
    {
        Assert.True(WaitForLine(ReadyLine), "kvstore did not get ready:\n" + Output);
    }

    /// <summary>Sends a POSIX signal (SIGTERM, SIGINT) to the process.</summary>
    public void Signal(int signal) => _process.Signal(signal);

    /// <summary>Waits for the exit and its last output; null when it is still running at <paramref name="timeout"/>.</summary>
    public int? WaitForExit(TimeSpan timeout) => _process.WaitForExit(timeout) ? _process.ExitCode : null;

    public void Dispose() => _process.Dispose();
}
