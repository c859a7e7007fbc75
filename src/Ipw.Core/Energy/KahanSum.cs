namespace Ipw.Core.Energy;

/// <summary>Compensated summation: long runs add millions of small pieces without drifting.</summary>
internal struct KahanSum
{
    private double _sum, _c;
    public readonly double Value => _sum;

    public void Add(double x)
    {
        var y = x - _c;
        var t = _sum + y;
        _c = t - _sum - y;
        _sum = t;
    }
}
