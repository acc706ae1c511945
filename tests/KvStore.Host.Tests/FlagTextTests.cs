using KvStore.Host.Flags;

namespace KvStore.Host.Tests;

/// <summary>Go's duration and etcd's URL list syntax.</summary>
public sealed class FlagTextTests
{
    [Theory]
    [InlineData("0", 0)]
    [InlineData("100ms", 100)]
    [InlineData("1.5s", 1500)]
    [InlineData("2h45m", (2 * 60 + 45) * 60_000)]
    [InlineData("10m0s", 600_000)]
    [InlineData("-1m", -60_000)]
    [InlineData("1000us", 1)]
    [InlineData("1000000ns", 1)]
    public void Go_durations_parse(string text, long milliseconds)
    {
        Assert.True(FlagText.TryParseDuration(text, out var value));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("5")]
    [InlineData("5d")]
    [InlineData("m")]
    [InlineData("1h x")]
    public void Bad_go_durations_do_not_parse(string text)
    {
        Assert.False(FlagText.TryParseDuration(text, out _));
    }

    [Fact]
    public void Url_lists_are_trimmed_and_deduplicated()
    {
        Assert.True(FlagText.TryParseUrls(" http://127.0.0.1:1, http://127.0.0.1:1,http://[::1]:2", out var urls, out _));
        Assert.Equal([new Uri("http://127.0.0.1:1"), new Uri("http://[::1]:2")], urls);
    }

    [Theory]
    [InlineData("http://127.0.0.1:1", true)]
    [InlineData("http://localhost:1", true)]
    [InlineData("http://[::]:1", true)]
    [InlineData("http://example.com:1", false)]
    public void Only_ip_addresses_and_localhost_bind(string url, bool bindable)
    {
        Assert.Equal(bindable, FlagText.IsBindable(new Uri(url)));
    }
}
