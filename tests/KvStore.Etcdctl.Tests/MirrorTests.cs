namespace KvStore.Etcdctl.Tests;

/// <summary>etcdctl make-mirror from one kvstore into a second kvstore.</summary>
public sealed class MirrorTests
{
    [Fact]
    public async Task MakeMirrorCopiesExistingAndLaterKeys()
    {
        using var source = ServerProcess.StartKvStore();
        using var dest = ServerProcess.StartKvStore();
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(0, (await Ctl.RunAsync(source.Url, "put", $"mm/before/{i}", $"v{i}")).Exit);
        }
        Assert.Equal(0, (await Ctl.RunAsync(source.Url, "put", "other/x", "not mirrored")).Exit);
        await using (var mirror = Ctl.Start(source.Url, ["make-mirror", "--prefix", "mm/", dest.Url]))
        {
            await Task.Delay(1500);
            for (var i = 0; i < 10; i++)
            {
                Assert.Equal(0, (await Ctl.RunAsync(source.Url, "put", $"mm/after/{i}", $"w{i}")).Exit);
            }
            Assert.Equal(0, (await Ctl.RunAsync(source.Url, "del", "mm/before/3")).Exit);
            await Task.Delay(2500);
            Assert.False(mirror.HasExited, "make-mirror ended early");
        }
        var want = await Ctl.RunAsync(source.Url, "get", "mm/", "--prefix");
        var got = await Ctl.RunAsync(dest.Url, "get", "", "--from-key");
        Assert.Equal(0, got.Exit);
        Assert.Equal(want.Out, got.Out);
        Assert.Contains("mm/after/9", got.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("mm/before/3\n", got.Out, StringComparison.Ordinal);
    }
}
