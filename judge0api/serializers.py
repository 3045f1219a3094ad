"""The Judge0 shapes, for the OpenAPI schema (the views build and read plain dicts, as Judge0's
clients send and expect them)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


class Judge0SubmissionRequestSerializer(serializers.Serializer):
    source_code = serializers.CharField(help_text="The program (base64 when `base64_encoded=true`).")
    language_id = serializers.IntegerField(help_text="A Judge0 CE 1.13.1 language id from `GET /judge0/languages`.")
    stdin = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    expected_output = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, help_text="Accepted (3) or Wrong Answer (4) against it."
    )
    command_line_arguments = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=512)
    cpu_time_limit = serializers.FloatField(required=False, allow_null=True, help_text="Seconds of CPU.")
    memory_limit = serializers.IntegerField(required=False, allow_null=True, help_text="KB.")
    wall_time_limit = serializers.FloatField(
        required=False, allow_null=True, help_text="Checked against the maximum; the run's wall limit is 2 x CPU + 1 s."
    )
    cpu_extra_time = serializers.FloatField(required=False, allow_null=True)
    stack_limit = serializers.IntegerField(required=False, allow_null=True)
    max_processes_and_or_threads = serializers.IntegerField(required=False, allow_null=True)
    max_file_size = serializers.IntegerField(required=False, allow_null=True)
    number_of_runs = serializers.IntegerField(required=False, allow_null=True)
    compiler_options = serializers.CharField(
        required=False,
        allow_null=True,
        max_length=512,
        help_text="Arguments for the compiler, split as a shell would (never run by one).",
    )
    callback_url = serializers.CharField(
        required=False,
        allow_null=True,
        help_text="Once it finished, the submission (default fields, base64) is PUT here, as Judge0 does; signed "
        "with your webhook secret and retried (needs an API key; no private addresses).",
    )
    additional_files = serializers.CharField(
        required=False,
        allow_null=True,
        help_text="A base64 zip unpacked beside the source (plain files, at most 64, 4 MiB in all); for language 89 "
        "(multi-file program) its `run` script runs, after its `compile` script if there is one.",
    )
    redirect_stderr_to_stdout = serializers.BooleanField(required=False, allow_null=True)
    enable_network = serializers.BooleanField(required=False, allow_null=True, help_text="Never enabled (422).")
    enable_per_process_and_thread_time_limit = serializers.BooleanField(required=False, allow_null=True)
    enable_per_process_and_thread_memory_limit = serializers.BooleanField(required=False, allow_null=True)


class Judge0BatchRequestSerializer(serializers.Serializer):
    submissions = Judge0SubmissionRequestSerializer(many=True)


class Judge0StatusSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    description = serializers.CharField()


class Judge0LanguageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class Judge0LanguageDetailSerializer(Judge0LanguageSerializer):
    is_archived = serializers.BooleanField()
    source_file = serializers.CharField()
    compile_cmd = serializers.CharField(allow_null=True)
    run_cmd = serializers.CharField()


class Judge0SubmissionSerializer(serializers.Serializer):
    """The fields asked for (`fields`; by default token, time, memory, stdout, stderr,
    compile_output, message and status). Texts are base64 with `base64_encoded=true`."""

    token = serializers.UUIDField(required=False)
    status = Judge0StatusSerializer(required=False)
    stdout = serializers.CharField(required=False, allow_null=True)
    stderr = serializers.CharField(required=False, allow_null=True)
    compile_output = serializers.CharField(required=False, allow_null=True)
    message = serializers.CharField(required=False, allow_null=True)
    time = serializers.CharField(required=False, allow_null=True, help_text="CPU seconds, as a decimal string.")
    wall_time = serializers.CharField(required=False, allow_null=True)
    memory = serializers.IntegerField(required=False, allow_null=True, help_text="Peak memory, KB.")
    exit_code = serializers.IntegerField(required=False, allow_null=True)
    exit_signal = serializers.IntegerField(required=False, allow_null=True)
    created_at = serializers.CharField(required=False, allow_null=True)
    finished_at = serializers.CharField(required=False, allow_null=True)
    source_code = serializers.CharField(required=False, allow_null=True)
    stdin = serializers.CharField(required=False, allow_null=True)
    expected_output = serializers.CharField(required=False, allow_null=True)
    language_id = serializers.IntegerField(required=False)
    status_id = serializers.IntegerField(required=False)
    language = Judge0LanguageSerializer(required=False)
    number_of_runs = serializers.IntegerField(required=False)
    cpu_time_limit = serializers.CharField(required=False)
    cpu_extra_time = serializers.CharField(required=False)
    wall_time_limit = serializers.CharField(required=False)
    memory_limit = serializers.IntegerField(required=False)
    stack_limit = serializers.IntegerField(required=False)
    max_processes_and_or_threads = serializers.IntegerField(required=False)
    enable_per_process_and_thread_time_limit = serializers.BooleanField(required=False)
    enable_per_process_and_thread_memory_limit = serializers.BooleanField(required=False)
    max_file_size = serializers.IntegerField(required=False)
    compiler_options = serializers.CharField(required=False, allow_null=True)
    command_line_arguments = serializers.CharField(required=False, allow_null=True)
    redirect_stderr_to_stdout = serializers.BooleanField(required=False)
    callback_url = serializers.CharField(required=False, allow_null=True)
    additional_files = serializers.CharField(required=False, allow_null=True)
    enable_network = serializers.BooleanField(required=False)


class Judge0SubmissionsPageSerializer(serializers.Serializer):
    class MetaSerializer(serializers.Serializer):
        current_page = serializers.IntegerField()
        next_page = serializers.IntegerField(allow_null=True)
        prev_page = serializers.IntegerField(allow_null=True)
        total_pages = serializers.IntegerField(allow_null=True, help_text="Not counted here: null.")
        total_count = serializers.IntegerField(allow_null=True, help_text="Not counted here: null.")

    submissions = Judge0SubmissionSerializer(many=True)
    meta = MetaSerializer()


@extend_schema_field({"allOf": [{"$ref": "#/components/schemas/Judge0Submission"}], "nullable": True})
class FoundSubmissionField(serializers.JSONField):
    """A submission, or null where its token was not found."""


class Judge0BatchSubmissionsSerializer(serializers.Serializer):
    submissions = serializers.ListField(
        child=FoundSubmissionField(), help_text="In the order asked; null for a token not found."
    )


class Judge0ErrorSerializer(serializers.Serializer):
    """Judge0's own error shape (400, 404)."""

    error = serializers.CharField()


class Judge0AboutSerializer(serializers.Serializer):
    version = serializers.CharField()
    homepage = serializers.CharField()
    source_code = serializers.CharField()
    maintainer = serializers.CharField()
