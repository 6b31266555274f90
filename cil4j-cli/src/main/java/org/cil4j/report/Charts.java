package org.cil4j.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Paint;
import java.awt.Rectangle;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import org.cil4j.eval.AccuracyMatrix;
import org.cil4j.experiment.PhaseResult;
import org.cil4j.experiment.RunResult;
import org.cil4j.train.EpochRecord;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.annotations.XYTextAnnotation;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.PaintScale;
import org.jfree.chart.renderer.xy.XYBlockRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.PaintScaleLegend;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.DefaultXYZDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jfree.svg.SVGGraphics2D;

/** The report's figures, built with JFreeChart and exported as PNG and SVG. */
public final class Charts {
    /** Figure size in pixels. */
    public static final int WIDTH = 720;
    /** Figure size in pixels. */
    public static final int HEIGHT = 420;

    private static final BasicStroke SOLID = new BasicStroke(2f);
    private static final BasicStroke DASHED =
            new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f);

    static {
        System.setProperty("java.awt.headless", "true");
    }

    private Charts() {}

    /** One line of a chart: its points and whether it is dashed. */
    record Line(String name, double[] x, double[] y, boolean dashed) {}

    /**
     * Accuracy after each phase against classes seen, one line per run and classifier.
     *
     * @param runs the runs (one scenario)
     * @param labels a label per run
     * @return the chart
     */
    public static JFreeChart accuracy(List<RunDir> runs, List<String> labels) {
        XYSeriesCollection ds = new XYSeriesCollection();
        List<Boolean> dashed = new java.util.ArrayList<>();
        for (int i = 0; i < runs.size(); i++) {
            RunResult r = runs.get(i).result();
            double[] x = toDouble(RunMetrics.classesSeen(r));
            if ("taskAware".equals(r.summary().primary())) {
                add(
                        ds,
                        dashed,
                        new Line(labels.get(i) + " task-aware", x, r.taskAware().perPhaseAccuracy(), false));
            }
            add(
                    ds,
                    dashed,
                    new Line(
                            labels.get(i) + " CNN",
                            x,
                            r.cnn().perPhaseAccuracy(),
                            "taskAware".equals(r.summary().primary())));
            if (r.nme() != null) {
                add(ds, dashed, new Line(labels.get(i) + " NME", x, r.nme().perPhaseAccuracy(), true));
            }
        }
        JFreeChart c = lines("Accuracy after each phase", "classes seen", "accuracy (%)", ds, dashed);
        percentAxis(c);
        integerAxis(c);
        return c;
    }

    /**
     * A per-phase series of each run's primary matrix.
     *
     * @param title chart title
     * @param yLabel y-axis label
     * @param runs the runs
     * @param labels a label per run
     * @param f the series
     * @return the chart
     */
    public static JFreeChart perPhase(
            String title,
            String yLabel,
            List<RunDir> runs,
            List<String> labels,
            java.util.function.Function<AccuracyMatrix, double[]> f) {
        XYSeriesCollection ds = new XYSeriesCollection();
        List<Boolean> dashed = new java.util.ArrayList<>();
        for (int i = 0; i < runs.size(); i++) {
            RunResult r = runs.get(i).result();
            add(
                    ds,
                    dashed,
                    new Line(
                            labels.get(i), toDouble(RunMetrics.classesSeen(r)), f.apply(RunMetrics.primary(r)), false));
        }
        JFreeChart c = lines(title, "classes seen", yLabel, ds, dashed);
        integerAxis(c);
        return c;
    }

    /**
     * Old-class against new-class accuracy after each phase, from the primary matrix.
     *
     * @param runs the runs
     * @param labels a label per run
     * @return the chart
     */
    public static JFreeChart oldVersusNew(List<RunDir> runs, List<String> labels) {
        XYSeriesCollection ds = new XYSeriesCollection();
        List<Boolean> dashed = new java.util.ArrayList<>();
        for (int i = 0; i < runs.size(); i++) {
            RunResult r = runs.get(i).result();
            double[] x = toDouble(RunMetrics.classesSeen(r));
            AccuracyMatrix m = RunMetrics.primary(r);
            add(ds, dashed, new Line(labels.get(i) + " old classes", x, RunMetrics.oldAccuracy(m), false));
            add(ds, dashed, new Line(labels.get(i) + " new classes", x, RunMetrics.newAccuracy(m), true));
        }
        JFreeChart c = lines("Old-class vs new-class accuracy", "classes seen", "accuracy (%)", ds, dashed);
        percentAxis(c);
        integerAxis(c);
        // same colour for a run's two lines
        XYLineAndShapeRenderer rr = (XYLineAndShapeRenderer) c.getXYPlot().getRenderer();
        for (int i = 0; i < runs.size(); i++) {
            Paint p = PALETTE[i % PALETTE.length];
            rr.setSeriesPaint(2 * i, p);
            rr.setSeriesPaint(2 * i + 1, p);
        }
        return c;
    }

    /**
     * Old-phase and new-phase accuracy against a setting's value (one point per run).
     *
     * @param title chart title
     * @param key the setting
     * @param x its values, ascending
     * @param old mean accuracy over the old phases
     * @param newest accuracy on the newest phase
     * @return the chart
     */
    public static JFreeChart sensitivity(String title, String key, double[] x, double[] old, double[] newest) {
        XYSeriesCollection ds = new XYSeriesCollection();
        List<Boolean> dashed = new java.util.ArrayList<>();
        add(ds, dashed, new Line("old phases (mean)", x, old, false));
        add(ds, dashed, new Line("new phase", x, newest, true));
        JFreeChart c = lines(title, key, "accuracy (%)", ds, dashed);
        percentAxis(c);
        return c;
    }

    /**
     * The accuracy matrix as a heatmap: row = after phase, column = phase of the classes.
     *
     * @param title chart title
     * @param m the matrix
     * @return the chart
     */
    public static JFreeChart heatmap(String title, AccuracyMatrix m) {
        int n = m.phases();
        int cells = n * (n + 1) / 2;
        double[][] xyz = new double[3][cells];
        int k = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                xyz[0][k] = j + 1;
                xyz[1][k] = i + 1;
                xyz[2][k] = m.get(i, j);
                k++;
            }
        }
        DefaultXYZDataset ds = new DefaultXYZDataset();
        ds.addSeries("accuracy", xyz);
        NumberAxis x = new NumberAxis("phase of the tested classes");
        NumberAxis y = new NumberAxis("after training phase");
        for (NumberAxis a : List.of(x, y)) {
            a.setTickUnit(new NumberTickUnit(1));
            a.setRange(0.5, n + 0.5);
            a.setLowerMargin(0);
            a.setUpperMargin(0);
        }
        y.setInverted(true);
        XYBlockRenderer r = new XYBlockRenderer();
        PaintScale scale = new BlueScale();
        r.setPaintScale(scale);
        XYPlot plot = new XYPlot(ds, x, y, r);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinesVisible(false);
        plot.setRangeGridlinesVisible(false);
        Font f = new Font(Font.SANS_SERIF, Font.PLAIN, n > 10 ? 8 : 12);
        for (int c = 0; c < cells; c++) {
            XYTextAnnotation a =
                    new XYTextAnnotation(String.format(Locale.ROOT, "%.1f", xyz[2][c]), xyz[0][c], xyz[1][c]);
            a.setFont(f);
            a.setTextAnchor(TextAnchor.CENTER);
            a.setPaint(xyz[2][c] > 60 ? Color.WHITE : Color.BLACK);
            plot.addAnnotation(a);
        }
        JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, false);
        NumberAxis sAxis = new NumberAxis("accuracy (%)");
        sAxis.setRange(0, 100);
        PaintScaleLegend legend = new PaintScaleLegend(scale, sAxis);
        legend.setPosition(RectangleEdge.RIGHT);
        legend.setMargin(4, 4, 40, 4);
        chart.addSubtitle(legend);
        chart.setBackgroundPaint(Color.WHITE);
        return chart;
    }

    /**
     * Training curves of one run: each loss term per epoch (left axis) and the learning rate
     * (right axis), epochs numbered across phases, with a marker where each phase starts.
     *
     * @param title chart title
     * @param epochs the run's epoch log
     * @return the chart
     */
    public static JFreeChart training(String title, List<EpochRecord> epochs) {
        TreeSet<String> terms = new TreeSet<>();
        epochs.forEach(e -> terms.addAll(e.losses().keySet()));
        XYSeriesCollection loss = new XYSeriesCollection();
        for (String t : terms) {
            XYSeries s = new XYSeries(t, false, true);
            for (int i = 0; i < epochs.size(); i++) {
                Double v = epochs.get(i).losses().get(t);
                if (v != null && Double.isFinite(v)) {
                    s.add(i + 1, v);
                }
            }
            loss.addSeries(s);
        }
        XYSeries lr = new XYSeries("learning rate", false, true);
        for (int i = 0; i < epochs.size(); i++) {
            lr.add(i + 1, epochs.get(i).lr());
        }
        JFreeChart c =
                lines(title, "epoch (all phases)", "loss", loss, java.util.Collections.nCopies(terms.size(), false));
        XYPlot plot = c.getXYPlot();
        NumberAxis lrAxis = new NumberAxis("learning rate");
        lrAxis.setAutoRangeIncludesZero(true);
        plot.setRangeAxis(1, lrAxis);
        plot.setDataset(1, new XYSeriesCollection(lr));
        plot.mapDatasetToRangeAxis(1, 1);
        XYLineAndShapeRenderer lrR = new XYLineAndShapeRenderer(true, false);
        lrR.setSeriesPaint(0, Color.GRAY);
        lrR.setSeriesStroke(0, DASHED);
        plot.setRenderer(1, lrR);
        int prev = -1;
        for (int i = 0; i < epochs.size(); i++) {
            if (epochs.get(i).phase() != prev) {
                prev = epochs.get(i).phase();
                ValueMarker mk = new ValueMarker(i + 0.5, Color.LIGHT_GRAY, new BasicStroke(1f));
                mk.setLabel("phase " + (prev + 1));
                mk.setLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
                mk.setLabelAnchor(org.jfree.chart.ui.RectangleAnchor.TOP_RIGHT);
                mk.setLabelTextAnchor(TextAnchor.TOP_LEFT);
                plot.addDomainMarker(mk);
            }
        }
        integerAxis(c);
        return c;
    }

    /**
     * Mean norms of old-class and new-class classifier weights and features after each phase.
     *
     * @param title chart title
     * @param r the run (its phases hold norms)
     * @return the chart
     */
    public static JFreeChart normsPerPhase(String title, RunResult r) {
        XYSeries oldW = new XYSeries("weight norm, old classes", false, true);
        XYSeries newW = new XYSeries("weight norm, new classes", false, true);
        XYSeries oldF = new XYSeries("feature norm, old classes", false, true);
        XYSeries newF = new XYSeries("feature norm, new classes", false, true);
        for (PhaseResult p : r.phases()) {
            if (p.norms() == null) {
                continue;
            }
            int firstNew = p.seen() - p.classes();
            if (firstNew > 0) {
                oldW.add(p.seen(), mean(p.norms().weight(), 0, firstNew));
                oldF.add(p.seen(), mean(p.norms().feature(), 0, firstNew));
            }
            newW.add(p.seen(), mean(p.norms().weight(), firstNew, p.seen()));
            newF.add(p.seen(), mean(p.norms().feature(), firstNew, p.seen()));
        }
        XYSeriesCollection w = new XYSeriesCollection();
        w.addSeries(oldW);
        w.addSeries(newW);
        JFreeChart c = lines(title, "classes seen", "mean weight norm", w, List.of(false, false));
        XYPlot plot = c.getXYPlot();
        NumberAxis fAxis = new NumberAxis("mean feature norm");
        fAxis.setAutoRangeIncludesZero(false);
        plot.setRangeAxis(1, fAxis);
        XYSeriesCollection f = new XYSeriesCollection();
        f.addSeries(oldF);
        f.addSeries(newF);
        plot.setDataset(1, f);
        plot.mapDatasetToRangeAxis(1, 1);
        XYLineAndShapeRenderer fr = new XYLineAndShapeRenderer(true, true);
        fr.setSeriesPaint(0, PALETTE[0]);
        fr.setSeriesPaint(1, PALETTE[1]);
        fr.setSeriesStroke(0, DASHED);
        fr.setSeriesStroke(1, DASHED);
        plot.setRenderer(1, fr);
        ((NumberAxis) plot.getRangeAxis()).setAutoRangeIncludesZero(false);
        integerAxis(c);
        return c;
    }

    /**
     * The weight norm of every class after the last phase that recorded norms, old classes and
     * new classes in two colours (the picture of LUCIR, Fig. 2).
     *
     * @param title chart title
     * @param r the run
     * @return the chart, or null when the run has no norms
     */
    public static JFreeChart classWeightNorms(String title, RunResult r) {
        PhaseResult last = null;
        for (PhaseResult p : r.phases()) {
            if (p.norms() != null) {
                last = p;
            }
        }
        if (last == null) {
            return null;
        }
        int firstNew = last.seen() - last.classes();
        XYSeries o = new XYSeries("old classes", false, true);
        XYSeries n = new XYSeries("new classes (phase " + (last.phase() + 1) + ")", false, true);
        double[] w = last.norms().weight();
        for (int k = 0; k < w.length; k++) {
            (k < firstNew ? o : n).add(k, w[k]);
        }
        XYSeriesCollection ds = new XYSeriesCollection();
        ds.addSeries(o);
        ds.addSeries(n);
        JFreeChart c = ChartFactory.createScatterPlot(title, "class (incremental order)", "weight norm", ds);
        style(c);
        ((NumberAxis) c.getXYPlot().getRangeAxis()).setAutoRangeIncludesZero(false);
        return c;
    }

    /**
     * @param c a chart
     * @return its PNG bytes at the report's size
     */
    public static byte[] png(JFreeChart c) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ChartUtils.writeChartAsPNG(out, c, WIDTH, HEIGHT);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /**
     * @param c a chart
     * @return an SVG document of it at the report's size
     */
    public static String svg(JFreeChart c) {
        SVGGraphics2D g = new SVGGraphics2D(WIDTH, HEIGHT);
        c.draw(g, new Rectangle(0, 0, WIDTH, HEIGHT));
        return g.getSVGDocument();
    }

    private static final Paint[] PALETTE = {
        new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0xff7f0e), new Color(0x9467bd),
        new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f), new Color(0xbcbd22), new Color(0x17becf)
    };

    private static void add(XYSeriesCollection ds, List<Boolean> dashed, Line l) {
        XYSeries s = new XYSeries(l.name(), false, true);
        for (int i = 0; i < l.x().length; i++) {
            if (Double.isFinite(l.y()[i])) {
                s.add(l.x()[i], l.y()[i]);
            }
        }
        ds.addSeries(s);
        dashed.add(l.dashed());
    }

    private static JFreeChart lines(String title, String x, String y, XYSeriesCollection ds, List<Boolean> dashed) {
        JFreeChart c = ChartFactory.createXYLineChart(title, x, y, ds);
        XYLineAndShapeRenderer r = (XYLineAndShapeRenderer) c.getXYPlot().getRenderer();
        r.setDefaultShapesVisible(true);
        for (int i = 0; i < ds.getSeriesCount(); i++) {
            r.setSeriesStroke(i, dashed.get(i) ? DASHED : SOLID);
            r.setSeriesPaint(i, PALETTE[i % PALETTE.length]);
        }
        style(c);
        return c;
    }

    private static void style(JFreeChart c) {
        c.setBackgroundPaint(Color.WHITE);
        XYPlot p = c.getXYPlot();
        p.setBackgroundPaint(Color.WHITE);
        p.setDomainGridlinePaint(new Color(0xdddddd));
        p.setRangeGridlinePaint(new Color(0xdddddd));
        p.setOutlinePaint(Color.GRAY);
    }

    private static void percentAxis(JFreeChart c) {
        c.getXYPlot().getRangeAxis().setRange(0, 101);
    }

    private static void integerAxis(JFreeChart c) {
        c.getXYPlot().getDomainAxis().setStandardTickUnits(NumberAxis.createIntegerTickUnits());
    }

    private static double[] toDouble(int[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }

    private static double mean(double[] v, int from, int to) {
        double s = 0;
        int n = 0;
        for (int i = from; i < to && i < v.length; i++) {
            if (Double.isFinite(v[i])) {
                s += v[i];
                n++;
            }
        }
        return n == 0 ? Double.NaN : s / n;
    }

    /** White (0 %) to dark blue (100 %). */
    private static final class BlueScale implements PaintScale {
        @Override
        public double getLowerBound() {
            return 0;
        }

        @Override
        public double getUpperBound() {
            return 100;
        }

        @Override
        public Paint getPaint(double value) {
            double t = Math.max(0, Math.min(1, value / 100));
            return new Color((int) Math.round(247 + t * (8 - 247)), (int) Math.round(251 + t * (48 - 251)), (int)
                    Math.round(255 + t * (107 - 255)));
        }
    }
}
