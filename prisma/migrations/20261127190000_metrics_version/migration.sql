-- A per-job counter of metric writes. The metrics ETag (GET /v1/jobs/:id/metrics) reads this one
-- column instead of aggregating the job's metric rows on every dashboard poll, so a 304 costs the
-- same however long the run is. Kept by a trigger so every writer (API, workers, scripts) bumps it.
ALTER TABLE "Job" ADD COLUMN "metricsVersion" INTEGER NOT NULL DEFAULT 0;

CREATE FUNCTION "rimwatch_bump_metrics_version"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    UPDATE "Job" SET "metricsVersion" = "metricsVersion" + 1 WHERE "id" = OLD."jobId";
  ELSE
    UPDATE "Job" SET "metricsVersion" = "metricsVersion" + 1 WHERE "id" = NEW."jobId";
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER "Metric_bump_metrics_version"
  AFTER INSERT OR UPDATE OR DELETE ON "Metric"
  FOR EACH ROW EXECUTE FUNCTION "rimwatch_bump_metrics_version"();
