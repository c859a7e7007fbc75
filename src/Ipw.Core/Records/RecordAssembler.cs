using Ipw.Core.Records.Stages;

namespace Ipw.Core.Records;

/// <summary>Runs the record stages over a measured query, in stage order, once, and makes the immutable record.</summary>
internal sealed class RecordAssembler
{
    private readonly IRecordStage[] _stages;

    public RecordAssembler(IEnumerable<IRecordStage> stages)
    {
        _stages = stages.OrderBy(s => s.Stage).ToArray();
        for (var i = 1; i < _stages.Length; i++)
            if (_stages[i].Stage == _stages[i - 1].Stage) throw new ArgumentException($"two stages write {_stages[i].Stage}", nameof(stages));
    }

    public QueryRecord Build(MeasuredQuery query)
    {
        var record = new RecordBuilder();
        foreach (var stage in _stages)
        {
            record.Enter(stage.Stage);
            stage.Fill(query, record);
        }
        return record.Build();
    }
}
