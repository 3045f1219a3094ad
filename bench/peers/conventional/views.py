from celery.result import AsyncResult
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from bench.peers.conventional import tasks


class Submit(APIView):
    def post(self, request: Request) -> Response:
        params = request.data.get("params", {})
        if request.data.get("kind") == "image":
            result = tasks.image.delay(params["image"])
        else:
            result = tasks.sleep.delay(params.get("seconds", 0))
        return Response({"task_id": result.id}, status=status.HTTP_201_CREATED)


class Status(APIView):
    def get(self, request: Request, task_id: str) -> Response:
        return Response({"task_id": task_id, "status": AsyncResult(task_id).status})
