from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from dreamapi.errors import NotFound
from dreamapi.openapi import X_ENV, errors

from . import services
from .api_base import ProjectAPIView
from .models import EndUser
from .serializers import (
    CustomerCreateSerializer,
    CustomerListQuerySerializer,
    CustomerSerializer,
    CustomerUpdateSerializer,
    customer_json,
)

CustomerEnvelope = inline_serializer(
    "CustomerEnvelope", {"success": serializers.BooleanField(), "customer": CustomerSerializer()}
)
CustomerPage = inline_serializer(
    "CustomerPage",
    {
        "customers": CustomerSerializer(many=True),
        "pagination": inline_serializer(
            "Pagination",
            {"page": serializers.IntegerField(), "limit": serializers.IntegerField(),
             "total": serializers.IntegerField(), "hasMore": serializers.BooleanField()},
        ),
    },
)


class CustomerListCreateApi(ProjectAPIView):
    @extend_schema(operation_id="customers_list", summary="List or search end users",
                   parameters=[CustomerListQuerySerializer, X_ENV], responses={200: CustomerPage, **errors(400, 401, 403)})
    def get(self, request: Request) -> Response:
        query = CustomerListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        page, limit, search = query.validated_data["page"], query.validated_data["limit"], query.validated_data["search"]
        end_users = self.end_users().select_related("tier")
        if search:
            end_users = end_users.filter(email__icontains=search.strip())
        total = end_users.count()
        offset = (page - 1) * limit
        rows = list(end_users[offset : offset + limit])
        return Response(
            {
                "customers": [customer_json(eu) for eu in rows],
                "pagination": {"page": page, "limit": limit, "total": total, "hasMore": offset + len(rows) < total},
            }
        )

    @extend_schema(operation_id="customers_create", summary="Create an end user", parameters=[X_ENV],
                   request=CustomerCreateSerializer, responses={201: CustomerEnvelope, **errors(400, 401, 403, 409)})
    def post(self, request: Request) -> Response:
        body = CustomerCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        end_user = services.end_user_create(
            project_id=self.key.project_id,
            mode=self.mode,
            email=data["email"],
            password=data.get("password") or None,
            first_name=data["firstName"],
            last_name=data["lastName"],
            plan=data.get("plan"),
            metadata=data["metadata"],
        )
        return Response({"success": True, "customer": customer_json(end_user)}, status=201)


class CustomerDetailApi(ProjectAPIView):
    def get_end_user(self, customer_id: str) -> EndUser:
        end_user = self.end_users().select_related("tier").filter(public_id=customer_id).first()
        if end_user is None:
            raise NotFound(f"No customer '{customer_id}' in this project and mode.", code="customer_not_found")
        return end_user

    @extend_schema(operation_id="customers_retrieve", summary="Get an end user", parameters=[X_ENV],
                   responses={200: CustomerEnvelope, **errors(400, 401, 403, 404)})
    def get(self, request: Request, customer_id: str) -> Response:
        return Response({"success": True, "customer": customer_json(self.get_end_user(customer_id))})

    @extend_schema(operation_id="customers_update", summary="Change an end user's plan, name or metadata",
                   parameters=[X_ENV], request=CustomerUpdateSerializer,
                   responses={200: CustomerEnvelope, **errors(400, 401, 403, 404)})
    def patch(self, request: Request, customer_id: str) -> Response:
        end_user = self.get_end_user(customer_id)
        body = CustomerUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        end_user = services.end_user_update(
            end_user=end_user,
            first_name=data.get("firstName"),
            last_name=data.get("lastName"),
            plan=data.get("plan"),
            metadata=data.get("metadata"),
        )
        return Response({"success": True, "customer": customer_json(end_user)})

    @extend_schema(operation_id="customers_delete", summary="Delete an end user", parameters=[X_ENV],
                   responses={200: inline_serializer("Deleted", {"success": serializers.BooleanField(),
                                                                 "deleted": serializers.BooleanField(),
                                                                 "id": serializers.CharField()}),
                              **errors(400, 401, 403, 404)})
    def delete(self, request: Request, customer_id: str) -> Response:
        end_user = self.get_end_user(customer_id)
        services.end_user_delete(end_user=end_user)
        return Response({"success": True, "deleted": True, "id": customer_id})
