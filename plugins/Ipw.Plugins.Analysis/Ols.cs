using MathNet.Numerics;
using MathNet.Numerics.Distributions;

namespace Ipw.Plugins.Analysis;

/// <summary>An ordinary least-squares line y = intercept + slope·x, with what a reader needs to trust it.</summary>
/// <param name="N">Points used.</param>
/// <param name="Slope">The fitted slope.</param>
/// <param name="Intercept">The fitted intercept.</param>
/// <param name="RSquared">Coefficient of determination.</param>
/// <param name="SlopeStdError">Standard error of the slope.</param>
/// <param name="SlopeLow">Lower end of the slope's 95 % confidence interval (Student t, n − 2 degrees of freedom).</param>
/// <param name="SlopeHigh">Upper end of that interval.</param>
internal sealed record OlsFit(int N, double Slope, double Intercept, double RSquared, double SlopeStdError, double SlopeLow, double SlopeHigh)
{
    /// <summary>Fits a line through the pairs (MathNet's <see cref="Fit.Line"/>; R² and the slope's standard error from
    /// the residuals); null with fewer than 3 points or when x does not vary.</summary>
    public static OlsFit? Of(double[] x, double[] y)
    {
        var n = x.Length;
        if (n < 3) return null;
        double meanX = 0, meanY = 0;
        for (var i = 0; i < n; i++) { meanX += x[i]; meanY += y[i]; }
        meanX /= n;
        meanY /= n;
        double sxx = 0, syy = 0;
        for (var i = 0; i < n; i++) { sxx += (x[i] - meanX) * (x[i] - meanX); syy += (y[i] - meanY) * (y[i] - meanY); }
        if (!(sxx > 0)) return null;
        var (intercept, slope) = Fit.Line(x, y);
        double ssr = 0;
        for (var i = 0; i < n; i++)
        {
            var residual = y[i] - (intercept + slope * x[i]);
            ssr += residual * residual;
        }
        var rSquared = syy > 0 ? 1 - ssr / syy : 1;
        var se = Math.Sqrt(ssr / (n - 2) / sxx);
        var t = StudentT.InvCDF(0, 1, n - 2, 0.975);
        return new OlsFit(n, slope, intercept, rSquared, se, slope - t * se, slope + t * se);
    }
}
