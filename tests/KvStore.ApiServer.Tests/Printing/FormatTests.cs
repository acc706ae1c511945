using System.Text.Json.Nodes;
using KvStore.ApiServer.Printing;

namespace KvStore.ApiServer.Tests.Printing;

public sealed class FormatTests
{
    [Theory]
    // apimachinery duration_test.go's HumanDuration table.
    [InlineData(1, "1s")]
    [InlineData(70, "70s")]
    [InlineData(119, "119s")]
    [InlineData(120, "2m")]
    [InlineData(182, "3m2s")]
    [InlineData(600, "10m")]
    [InlineData(10799, "179m")]
    [InlineData(10800, "3h")]
    [InlineData(3 * 3600 + 60, "3h1m")]
    [InlineData(8 * 3600, "8h")]
    [InlineData(47 * 3600 + 59 * 60, "47h")]
    [InlineData(48 * 3600, "2d")]
    [InlineData(48 * 3600 + 3600, "2d1h")]
    [InlineData(8 * 24 * 3600, "8d")]
    [InlineData(367 * 24 * 3600, "367d")]
    [InlineData(2 * 365 * 24 * 3600, "2y")]
    [InlineData(2 * 365 * 24 * 3600 + 24 * 3600, "2y1d")]
    [InlineData(8 * 365 * 24 * 3600, "8y")]
    [InlineData(0, "0s")]
    [InlineData(-1, "0s")]
    [InlineData(-2, "<invalid>")]
    public void HumanDurationMatchesApimachinery(long seconds, string expected) =>
        Assert.Equal(expected, Format.HumanDuration(TimeSpan.FromSeconds(seconds)));

    [Fact]
    public void HumanDurationTruncatesFractions() =>
        Assert.Equal("59s", Format.HumanDuration(TimeSpan.FromMilliseconds(59_999)));

    [Fact]
    public void SelectorsFormatAsKubeLabelSelectorAsSelector()
    {
        var sel = JsonNode.Parse("""
            {"matchLabels":{"tier":"web","app":"shop"},
             "matchExpressions":[{"key":"env","operator":"In","values":["prod","dev"]},
                                 {"key":"zone","operator":"NotIn","values":["b"]},
                                 {"key":"canary","operator":"DoesNotExist"},
                                 {"key":"owner","operator":"Exists"}]}
            """);
        Assert.Equal("app=shop,!canary,env in (dev,prod),owner,tier=web,zone notin (b)", Format.LabelSelector(sel));
        Assert.Equal("<none>", Format.LabelSelector(JsonNode.Parse("{}")));
        Assert.Equal("<none>", Format.LabelSelector(null));
        Assert.Equal("", Format.Selector(null));
        Assert.Equal("<error>", Format.LabelSelector(JsonNode.Parse("""{"matchExpressions":[{"key":"a","operator":"Bogus"}]}""")));
    }

    [Fact]
    public void LabelsSortByKeyAndEmptyIsNone()
    {
        Assert.Equal("a=1,b=2", Format.Labels([KeyValuePair.Create("b", "2"), KeyValuePair.Create("a", "1")]));
        Assert.Equal("<none>", Format.Labels([]));
    }

    [Theory]
    [InlineData("100m", "100m")]
    [InlineData("1000m", "1")]
    [InlineData("0.5", "500m")]
    [InlineData("1.5", "1500m")]
    [InlineData("1500", "1500")]
    [InlineData("12000", "12k")]
    [InlineData("1G", "1G")]
    [InlineData("128Mi", "128Mi")]
    [InlineData("2048Mi", "2Gi")]
    [InlineData("1536Mi", "1536Mi")]
    [InlineData("0.5Gi", "512Mi")]
    [InlineData("512", "512")]
    [InlineData("1Ki", "1Ki")]
    [InlineData("0.5Ki", "512")]
    [InlineData("1e3", "1e3")]
    [InlineData("1.5e3", "1500")]
    [InlineData("0", "0")]
    [InlineData("0.0000000001", "1n")]
    [InlineData("10u", "10u")]
    [InlineData("-250m", "-250m")]
    public void QuantitiesPrintInCanonicalForm(string input, string expected) =>
        Assert.Equal(expected, Quantity.Canonical(input));
}
