using Ipw.Abstractions;

namespace Ipw.Core.Records.Stages;

/// <summary>One stage of making a record: derives its own columns (those whose <see cref="RecordColumn.Stage"/> is
/// <see cref="Stage"/>) from what was measured.</summary>
internal interface IRecordStage
{
    /// <summary>The columns' stage; stages run in this order.</summary>
    RecordStage Stage { get; }

    /// <summary>Writes this stage's columns.</summary>
    void Fill(MeasuredQuery query, RecordBuilder record);
}
