package dev.skein.cli.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skein.broker.HostPort;
import dev.skein.broker.cluster.TestCluster;
import dev.skein.broker.group.GroupConfig;
import dev.skein.client.BrokerLogDirs;
import dev.skein.client.Header;
import dev.skein.client.NewTopic;
import dev.skein.client.PartitionInfo;
import dev.skein.client.ProducerRecord;
import dev.skein.client.SkeinAdmin;
import dev.skein.client.SkeinConsumer;
import dev.skein.client.SkeinProducer;
import dev.skein.client.TopicDescription;
import dev.skein.client.TopicPartition;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.Select;

/**
 * The web console in a real browser: Debian's headless Chromium, driven through its own
 * chromedriver by Selenium, opens the console of a live three-broker cluster in this JVM. It
 * finds the test's topic with the leaders and ISR the cluster reports, opens a partition and
 * sees the records produced, and watches a group's lag fall to 0 after the group consumes.
 * Screenshots go to {@code target/console-screenshots/}.
 *
 * <p>The build installs the browser ({@code scripts/browser.sh}, run by Maven before the tests);
 * when that failed this test fails and says why rather than being skipped.
 */
class ConsoleBrowserTest {

  static final Path CHROMIUM = Path.of(System.getProperty("skein.chromium", "/usr/bin/chromium"));
  static final Path CHROMEDRIVER = Path.of(System.getProperty("skein.chromedriver", "/usr/bin/chromedriver"));
  static final Path SCREENSHOTS = Path.of("target", "console-screenshots");
  static final String TOPIC = "console-orders";
  static final String GROUP = "console-readers";
  static final Duration PATIENCE = Duration.ofSeconds(60);

  @TempDir
  static Path dir;
  static TestCluster cluster;
  static ConsoleServer console;
  static ChromeDriverService driverService;
  static WebDriver browser;

  @BeforeAll
  static void start() throws IOException {
    assertBrowserInstalled();
    cluster = TestCluster.start(dir, 3, GroupConfig.DEFAULT
        .withTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(1)).withOffsetsTopic(3, 3));
    cluster.admin().createTopic(NewTopic.of(TOPIC, 3, 3));
    // The console of broker 1, reading through the client aimed at broker 1 alone, as `skein broker` runs it.
    console = ConsoleServer.start(new HostPort("localhost", 0), cluster.address(1).toString(), false, 1,
        Duration.ofMillis(500));

    // Selenium Manager must never look for a driver or browser on the internet: both paths are given.
    System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.toString());
    driverService = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
        .usingAnyFreePort().withLogFile(SCREENSHOTS.resolveSibling("chromedriver.log").toFile()).build();
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
        "--window-size=1280,900", "--user-data-dir=" + dir.resolve("chromium-profile"), "--no-first-run",
        "--disable-extensions", "--disable-background-networking", "--disable-component-update");
    browser = new ChromeDriver(driverService, options);
    Files.createDirectories(SCREENSHOTS);
  }

  /** Fails, naming the install log, when the build could not provide the browser. */
  static void assertBrowserInstalled() throws IOException {
    if (Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER)) {
      return;
    }
    Path log = Path.of("target", "browser-install.log");
    String detail = Files.exists(log) ? Files.readString(log) : "(no " + log.toAbsolutePath() + ": was scripts/browser.sh run?)";
    throw new AssertionError("the console's browser test needs " + CHROMIUM + " and " + CHROMEDRIVER
        + " (Debian packages chromium and chromium-driver), which scripts/browser.sh installs during the build; "
        + "it could not:\n" + detail);
  }

  @AfterAll
  static void stop() {
    if (browser != null) {
      browser.quit();
    }
    if (driverService != null) {
      driverService.stop();
    }
    if (console != null) {
      console.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void showsTopicsRecordsAndLagOfALiveCluster() throws IOException {
    List<String> values = produce(0, 12);
    SkeinAdmin admin = cluster.admin();

    // Overview: the brokers, the quorum, and the test's topic arrive over the live stream.
    browser.get("http://localhost:" + console.port() + "/");
    eventually().untilAsserted(() -> {
      assertThat(browser.findElements(By.cssSelector("#brokers tbody tr[data-broker]"))).hasSize(3);
      assertThat(text("#brokers tbody")).contains("RUNNING").doesNotContain("FENCED");
      assertThat(browser.findElements(By.cssSelector("#quorum tbody tr"))).hasSize(3);
      assertThat(browser.findElements(By.cssSelector("#topics tr[data-topic='" + TOPIC + "']"))).hasSize(1);
    });
    screenshot("overview");

    // The topic: each partition's leader and ISR as the cluster's metadata has them.
    click(By.linkText(TOPIC));
    eventually().untilAsserted(() -> {
      TopicDescription described = admin.describeTopic(TOPIC);
      for (PartitionInfo p : described.partitions()) {
        WebElement row = browser.findElement(By.cssSelector("#partitions tr[data-partition='" + p.partition() + "']"));
        assertThat(row.findElement(By.className("leader")).getText()).isEqualTo(Integer.toString(p.leader()));
        assertThat(row.findElement(By.className("replicas")).getText()).isEqualTo(join(p.replicas()));
        assertThat(row.findElement(By.className("isr")).getText()).isEqualTo(join(p.isr()));
        assertThat(p.isr()).hasSize(3);
      }
      assertThat(text("#partitions tr[data-partition='0'] .end")).isEqualTo("12");
    });
    // Each partition's size on disk: the leader's in the cell, every replica's in its tooltip.
    TopicPartition first = new TopicPartition(TOPIC, 0);
    eventually().untilAsserted(() -> {
      int leader = admin.describeTopic(TOPIC).partition(0).leader();
      Map<Integer, Long> sizes = new TreeMap<>();
      for (BrokerLogDirs b : admin.describeLogDirs(List.of(TOPIC), List.of())) {
        b.replica(first).ifPresent(r -> sizes.put(b.brokerId(), r.sizeBytes()));
      }
      assertThat(sizes).hasSize(3);
      WebElement cell = browser.findElement(By.cssSelector("#partitions tr[data-partition='0'] .size"));
      assertThat(cell.getText()).isEqualTo(human(sizes.get(leader)));
      assertThat(cell.getAttribute("title").split("\n")).containsExactlyInAnyOrderElementsOf(sizes.entrySet().stream()
          .map(e -> "broker " + e.getKey() + (e.getKey() == leader ? " (leader)" : "") + ": " + human(e.getValue())
              + " in 1 segment").toList());
      assertThat(text("#partitions tr[data-partition='1'] .size")).isEqualTo("0 B");
    });
    screenshot("topic");

    // A partition: the records produced, as text, as indented JSON and as hex, with their headers.
    click(By.cssSelector("#partitions tr[data-partition='0'] a"));
    eventually().untilAsserted(() -> {
      List<WebElement> rows = browser.findElements(By.cssSelector("#record-table tbody tr"));
      assertThat(rows).hasSize(12);
      assertThat(rows.stream().map(r -> r.findElement(By.className("value")).getText()).toList())
          .containsExactlyElementsOf(values);
      assertThat(text("#record-table tr[data-offset='3'] .key")).isEqualTo("order-3");
      assertThat(text("#record-table tr[data-offset='3'] .headers")).contains("source:").contains("console-test");
    });
    choose("browse-format", "json");
    eventually().untilAsserted(() -> assertThat(text("#record-table tr[data-offset='3'] .value"))
        .isEqualTo("{\n  \"order\": 3,\n  \"item\": \"goose feather\"\n}"));
    screenshot("records");
    choose("browse-format", "hex");
    eventually().untilAsserted(() -> assertThat(text("#record-table tr[data-offset='3'] .key"))
        .isEqualTo("6f 72 64 65 72 2d 33"));
    // From an offset.
    choose("browse-mode", "offset");
    eventually().untilAsserted(() -> browser.findElement(By.id("browse-position")).sendKeys("10"));
    click(By.id("browse-load"));
    eventually().untilAsserted(() -> assertThat(browser.findElements(
        By.cssSelector("#record-table tbody tr"))).hasSize(2));

    // A group: it reads everything once; more records arrive, its lag shows; it reads them, lag falls to 0.
    try (SkeinConsumer consumer = cluster.consumer(Map.of("group.id", GROUP, "auto.offset.reset", "earliest",
        "enable.auto.commit", "false"))) {
      consumer.subscribe(List.of(TOPIC));
      consumeAndCommit(consumer, 12);
      produce(12, 8);
      browser.get("http://localhost:" + console.port() + "/#/group/" + GROUP);
      eventually().untilAsserted(() -> {
        assertThat(text("#group-lag")).isEqualTo("8");
        assertThat(text("#group-partitions tr[data-partition='0'] .lag")).isEqualTo("8");
      });
      screenshot("group-lagging");
      consumeAndCommit(consumer, 8);
      // No reload: the page follows the live stream.
      eventually().untilAsserted(() -> {
        assertThat(text("#group-lag")).isEqualTo("0");
        assertThat(text("#group-partitions tr[data-partition='0'] .lag")).isEqualTo("0");
        assertThat(text("#group-partitions tr[data-partition='0']")).contains("20");
      });
      screenshot("group-caught-up");
    }
    browser.get("http://localhost:" + console.port() + "/#/");
    eventually().untilAsserted(() ->
        assertThat(text("#groups tr[data-group='" + GROUP + "'] .lag")).isEqualTo("0"));
    // Read-only console: no write controls are offered.
    assertThat(browser.findElements(By.id("create-topic"))).isEmpty();
    screenshot("overview-with-group");
  }

  /** Polls until the page shows what is asserted; elements may be missing or redrawn meanwhile. */
  static org.awaitility.core.ConditionFactory eventually() {
    return await().atMost(PATIENCE).pollInterval(Duration.ofMillis(200))
        .ignoreExceptionsInstanceOf(org.openqa.selenium.WebDriverException.class);
  }

  /** Sends {@code count} JSON records with keys to partition 0; returns their values in order. */
  static List<String> produce(int first, int count) {
    SkeinProducer producer = cluster.producer(Map.of("acks", "all"));
    List<String> values = new ArrayList<>();
    for (int i = first; i < first + count; i++) {
      String value = "{\"order\":" + i + ",\"item\":\"goose feather\"}";
      values.add(value);
      producer.send(new ProducerRecord(TOPIC, 0, ("order-" + i).getBytes(StandardCharsets.UTF_8),
          value.getBytes(StandardCharsets.UTF_8), null,
          List.of(new Header("source", "console-test".getBytes(StandardCharsets.UTF_8)))));
    }
    producer.flush();
    return values;
  }

  static void consumeAndCommit(SkeinConsumer consumer, int count) {
    List<Object> seen = new ArrayList<>();
    await().atMost(PATIENCE).until(() -> {
      seen.addAll(consumer.poll(Duration.ofMillis(200)));
      return seen.size() >= count;
    });
    consumer.commitSync();
  }

  /** Clicks once the element is there; live redraws may replace it between finding and clicking. */
  static void click(By by) {
    eventually().untilAsserted(() -> browser.findElement(by).click());
  }

  static void choose(String selectId, String value) {
    eventually().untilAsserted(() -> new Select(browser.findElement(By.id(selectId))).selectByValue(value));
  }

  static String text(String css) {
    return browser.findElement(By.cssSelector(css)).getText().trim();
  }

  /** A size as the page shows it: bytes below 1 KiB, else binary units with one decimal. */
  static String human(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    String[] units = {"KiB", "MiB", "GiB"};
    double value = bytes;
    int unit = -1;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit++;
    }
    return String.format(java.util.Locale.ROOT, "%.1f %s", value, units[unit]);
  }

  static String join(List<Integer> ids) {
    return ids.stream().map(String::valueOf).collect(Collectors.joining(", "));
  }

  static void screenshot(String name) throws IOException {
    File shot = ((ChromeDriver) browser).getScreenshotAs(OutputType.FILE);
    Files.copy(shot.toPath(), SCREENSHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
  }
}
