using Ipw.Abstractions;
using Ipw.Core.Records;
using Ipw.Core.Runs;

namespace Ipw.Core.Tests;

public sealed class RecordColumnsTests
{
    private const string Begin = "<!-- record-columns:begin -->", End = "<!-- record-columns:end -->";

    [Fact]
    public void The_readme_column_table_is_the_one_made_from_the_schema()
    {
        var readme = File.ReadAllText(Path.Combine(RepoRoot(), "docs", "run-folder.md")).ReplaceLineEndings("\n");
        var start = readme.IndexOf(Begin, StringComparison.Ordinal);
        var end = readme.IndexOf(End, StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, $"docs/run-folder.md has no {Begin} ... {End} section");
        var table = readme[(start + Begin.Length)..end].Trim('\n') + "\n";
        Assert.True(ColumnTable.Markdown() == table, "docs/run-folder.md's column table is out of date; replace it with:\n" + ColumnTable.Markdown());
    }

    [Fact]
    public void Columns_are_unique_in_order_and_the_arrow_layout_follows_them()
    {
        Assert.Equal(RecordColumns.All.Count, RecordColumns.All.Select(c => c.Name).Distinct().Count());
        Assert.Equal(Enumerable.Range(0, RecordColumns.All.Count), RecordColumns.All.Select(c => c.Ordinal));
        Assert.Equal(RecordColumns.All.Select(c => c.Name), RecordSchema.Layout.Schema.FieldsList.Select(f => f.Name));
        Assert.Same(RecordColumns.CachedInputTokens, RecordColumns.Find("cached_input_tokens"));
    }

    [Fact]
    public void A_stage_writes_only_its_own_columns_in_order_and_the_record_is_built_once()
    {
        var b = new RecordBuilder();
        b.Enter(RecordStage.Query).Set(RecordColumns.ItemId, "a");
        Assert.Throws<InvalidOperationException>(() => b.Set(RecordColumns.EnergyJ, 1.0));
        b.Enter(RecordStage.Energy).Set(RecordColumns.EnergyJ, double.NaN);
        Assert.Throws<InvalidOperationException>(() => b.Enter(RecordStage.Timing));
        var r = b.Build();
        Assert.Equal("a", r.ItemId);
        Assert.Null(r.EnergyJ); // NaN means not measured: null, never a number
        Assert.Throws<InvalidOperationException>(() => b.Build());
    }

    internal static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Ipw.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("no Ipw.sln above the test folder");
    }
}
