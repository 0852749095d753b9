package dev.arbor.examples.fashion;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * Draws training curves into a PNG with Java2D: the training loss (per logged step) on the left,
 * train and test accuracy per epoch on the right. Headless; no plotting library needed.
 */
final class CurvePlot {
  private CurvePlot() {}

  static void write(
      Path file,
      List<Double> loss,
      int steps,
      List<Double> trainAcc,
      List<Double> testAcc,
      String title)
      throws IOException {
    int w = 1000;
    int h = 420;
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setRenderingHint(
        RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, w, h);
    g.setColor(Color.BLACK);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
    g.drawString(title, 20, 24);
    panel(
        g,
        50,
        50,
        420,
        320,
        "training loss (x: step)",
        steps,
        List.of(loss),
        null,
        new Color[] {Color.BLUE});
    panel(
        g,
        560,
        50,
        420,
        320,
        "accuracy (x: epoch; orange: train, green: test)",
        testAcc.size(),
        List.of(trainAcc, testAcc),
        new double[] {Math.max(0, min(trainAcc, testAcc) - 0.02), 1.0},
        new Color[] {new Color(230, 120, 0), new Color(0, 150, 60)});
    g.dispose();
    if (!ImageIO.write(img, "png", file.toFile())) {
      throw new IOException("no PNG writer available");
    }
  }

  private static double min(List<Double> a, List<Double> b) {
    double m = 1;
    for (double v : a) {
      m = Math.min(m, v);
    }
    for (double v : b) {
      m = Math.min(m, v);
    }
    return m;
  }

  private static void panel(
      Graphics2D g,
      int x,
      int y,
      int w,
      int h,
      String title,
      int xMax,
      List<List<Double>> series,
      double[] range,
      Color[] colors) {
    double lo = Double.POSITIVE_INFINITY;
    double hi = Double.NEGATIVE_INFINITY;
    int n = 1;
    for (List<Double> s : series) {
      n = Math.max(n, s.size());
      for (double v : s) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
    if (range != null) {
      lo = range[0];
      hi = range[1];
    }
    if (!(hi > lo)) {
      hi = lo + 1;
    }
    g.setColor(Color.BLACK);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    g.drawString(title, x, y - 8);
    g.setColor(new Color(235, 235, 235));
    for (int k = 0; k <= 4; k++) {
      int gy = y + h - k * h / 4;
      g.drawLine(x, gy, x + w, gy);
    }
    g.setColor(Color.GRAY);
    g.drawRect(x, y, w, h);
    g.setColor(Color.DARK_GRAY);
    for (int k = 0; k <= 4; k++) {
      double v = lo + (hi - lo) * k / 4;
      g.drawString(String.format(Locale.ROOT, "%.3g", v), x - 45, y + h - k * h / 4 + 4);
    }
    g.drawString("1", x, y + h + 15);
    g.drawString(Integer.toString(xMax), x + w - 30, y + h + 15);
    g.setStroke(new BasicStroke(2f));
    for (int s = 0; s < series.size(); s++) {
      List<Double> data = series.get(s);
      g.setColor(colors[s]);
      int px = -1;
      int py = -1;
      for (int i = 0; i < data.size(); i++) {
        int cx = x + (n == 1 ? w / 2 : (int) ((long) w * i / (n - 1)));
        int cy = y + h - (int) Math.round(h * (data.get(i) - lo) / (hi - lo));
        cy = Math.max(y, Math.min(y + h, cy));
        if (px >= 0) {
          g.drawLine(px, py, cx, cy);
        }
        if (data.size() <= 50) {
          g.fillOval(cx - 3, cy - 3, 6, 6);
        }
        px = cx;
        py = cy;
      }
    }
  }
}
