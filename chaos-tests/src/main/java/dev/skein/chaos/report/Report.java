package dev.skein.chaos.report;

import dev.skein.chaos.ChaosConfig;
import dev.skein.chaos.checker.Anomaly;
import dev.skein.chaos.checker.CheckResult;
import dev.skein.chaos.history.Op;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A run's summary (text) and picture: a self-contained HTML page with an SVG of every send's
 * latency over time, coloured by outcome, with the fault windows shaded and the heal marked.
 */
public record Report(String summary, Path html) {

  private record Point(double atSeconds, double latencyMs, Op.Type outcome) {}

  private record Window(double from, double to, String what) {}

  public static Report write(Path dir, String name, ChaosConfig config, List<Op> ops, CheckResult check) {
    String summary = summary(name, config, check);
    Path html = dir.resolve("report.html");
    try {
      Files.createDirectories(dir);
      Files.writeString(dir.resolve("summary.txt"), summary);
      Files.writeString(html, html(name, summary, ops));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new Report(summary, html);
  }

  static String summary(String name, ChaosConfig config, CheckResult check) {
    CheckResult.Counts c = check.counts();
    long sends = c.sendsOk() + c.sendsFailed() + c.sendsUnknown();
    double seconds = Math.max(1, c.durationMicros() / 1e6);
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT, "run %s (seed %d, %d s of faults, %d ops/s asked)%n", name, config.seed(),
        config.duration().toSeconds(), config.rate()));
    s.append(String.format(Locale.ROOT, "sends: %d (ok %d, fail %d, unknown %d); reads %d; drained %d; "
        + "group commits %d; %.1f acknowledged sends/s over %.0f s%n", sends, c.sendsOk(), c.sendsFailed(),
        c.sendsUnknown(), c.reads(), c.drained(), c.commits(), c.sendsOk() / seconds, seconds));
    s.append("every partition led again after the heal: ")
        .append(check.leadersMicros().isPresent() ? check.leadersMicros().getAsLong() / 1000 + " ms" : "never")
        .append("; recovered (every partition took a new acknowledged write): ")
        .append(check.recoveryMicros().isPresent() ? check.recoveryMicros().getAsLong() / 1000 + " ms" : "no")
        .append('\n');
    if (check.valid()) {
      s.append("anomalies: none\n");
    } else {
      s.append("anomalies: ").append(check.anomalies().size()).append('\n');
      check.byKind().forEach((kind, list) -> {
        s.append("  ").append(kind).append(": ").append(list.size()).append('\n');
        list.stream().limit(3).forEach(a -> s.append("    e.g. ")
            .append(a.partition() == null ? "" : "partition " + a.partition() + ": ").append(a.detail()).append('\n'));
      });
    }
    return s.toString();
  }

  static String html(String name, String summary, List<Op> ops) {
    Map<String, Op> invoked = new HashMap<>();
    List<Point> points = new ArrayList<>();
    List<Window> faults = new ArrayList<>();
    Map<String, Op> openFaults = new HashMap<>();
    double heal = -1;
    for (Op op : ops) {
      if (op.f().equals(Op.F.SEND)) {
        if (op.type() == Op.Type.invoke) {
          invoked.put(op.value(), op);
        } else {
          Op start = invoked.remove(op.value());
          if (start != null) {
            points.add(new Point(start.time() / 1e6, Math.max(0.1, (op.time() - start.time()) / 1e3), op.type()));
          }
        }
      } else if (op.f().equals(Op.F.FAULT)) {
        if (op.type() == Op.Type.invoke) {
          openFaults.put(op.value(), op);
        } else {
          Op start = openFaults.remove(op.value());
          if (start != null) {
            faults.add(new Window(start.time() / 1e6, op.time() / 1e6, op.value()));
          }
        }
      } else if (op.f().equals(Op.F.HEAL)) {
        heal = op.time() / 1e6;
      }
    }
    double end = ops.isEmpty() ? 1 : ops.get(ops.size() - 1).time() / 1e6;
    for (Op open : openFaults.values()) {
      faults.add(new Window(open.time() / 1e6, end, open.value()));
    }
    return page(name, summary, svg(points, faults, heal, end));
  }

  private static final int W = 1100;
  private static final int H = 420;
  private static final int LEFT = 60;
  private static final int BOTTOM = 40;

  private static String svg(List<Point> points, List<Window> faults, double heal, double end) {
    double maxLatency = points.stream().mapToDouble(Point::latencyMs).max().orElse(1000);
    double logMax = Math.log10(Math.max(10, maxLatency * 1.2));
    double logMin = -1;   // 0.1 ms
    double plotW = W - LEFT - 20;
    double plotH = H - BOTTOM - 10;
    java.util.function.DoubleUnaryOperator x = t -> LEFT + plotW * t / Math.max(end, 1);
    java.util.function.DoubleUnaryOperator y = ms -> 10 + plotH * (1 - (Math.log10(ms) - logMin) / (logMax - logMin));
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT, "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' "
        + "font-family='sans-serif' font-size='11'>%n", W, H));
    for (Window f : faults) {
      s.append(String.format(Locale.ROOT, "<rect x='%.1f' y='10' width='%.1f' height='%.1f' fill='#f4c7c3' "
          + "opacity='0.6'><title>%s</title></rect>%n", x.applyAsDouble(f.from()),
          Math.max(1, x.applyAsDouble(f.to()) - x.applyAsDouble(f.from())), plotH, escape(f.what())));
    }
    if (heal >= 0) {
      s.append(String.format(Locale.ROOT, "<line x1='%.1f' x2='%.1f' y1='10' y2='%.1f' stroke='#1a73e8' "
          + "stroke-dasharray='4'/><text x='%.1f' y='22' fill='#1a73e8'>heal</text>%n", x.applyAsDouble(heal),
          x.applyAsDouble(heal), 10 + plotH, x.applyAsDouble(heal) + 3));
    }
    for (int e = -1; e <= (int) Math.ceil(logMax); e++) {
      double yy = y.applyAsDouble(Math.pow(10, e));
      if (yy < 10) {
        continue;
      }
      s.append(String.format(Locale.ROOT, "<line x1='%d' x2='%d' y1='%.1f' y2='%.1f' stroke='#ddd'/>"
          + "<text x='5' y='%.1f'>%s ms</text>%n", LEFT, W - 20, yy, yy, yy + 4,
          e < 0 ? "0.1" : String.valueOf((long) Math.pow(10, e))));
    }
    for (int t = 0; t <= end; t += end > 200 ? 30 : 10) {
      double xx = x.applyAsDouble(t);
      s.append(String.format(Locale.ROOT, "<text x='%.1f' y='%d'>%d s</text>%n", xx - 8, H - BOTTOM + 16, t));
    }
    for (Point p : points) {
      String colour = switch (p.outcome()) {
        case ok -> "#188038";
        case fail -> "#d93025";
        default -> "#f29900";
      };
      s.append(String.format(Locale.ROOT, "<circle cx='%.1f' cy='%.1f' r='1.6' fill='%s'/>%n",
          x.applyAsDouble(p.atSeconds()), y.applyAsDouble(p.latencyMs()), colour));
    }
    s.append(String.format(Locale.ROOT, "<text x='%d' y='%d'>time since start; send latency (log scale): "
        + "green ok, orange unknown (info), red failed; shaded: faults</text>%n", LEFT, H - 6));
    s.append("</svg>\n");
    return s.toString();
  }

  private static String page(String name, String summary, String svg) {
    return "<!doctype html>\n<html><head><meta charset='utf-8'><title>chaos run " + escape(name) + "</title>"
        + "</head><body style='font-family:sans-serif'>\n<h1>chaos run " + escape(name) + "</h1>\n<pre>"
        + escape(summary) + "</pre>\n" + svg + "</body></html>\n";
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;");
  }
}
